// Vessel label declutter: where boats lie together, a label whose box would overlap one already placed is
// hidden. Threats and alerts are placed first, then moving vessels, then moored ones; a selected or alerted
// vessel's label is always shown. Boxes are estimated from the text's measured width (canvas, cached), so
// placing thousands of labels reads no layout from the page.

export interface LabelCandidate {
  /** the label's top-left corner and size in map (layer) pixels */
  x: number;
  y: number;
  w: number;
  h: number;
  /** lower is placed first: 0 threat / alert, 1 moving, 2 moored */
  rank: number;
  /** shown whatever it overlaps (selected or alerted) */
  always: boolean;
}

const CELL = 64; // the grid's cell (px): a label is tested against the boxes in the cells it touches
const GAP = 2; // px kept clear between two labels

/** Which candidates to show: no two shown boxes overlap, except those marked `always`. */
export function placeLabels(items: readonly LabelCandidate[]): boolean[] {
  const order = items.map((_, i) => i);
  order.sort((a, b) => Number(items[b].always) - Number(items[a].always) || items[a].rank - items[b].rank || a - b);
  const grid = new Map<number, number[]>();
  const shown = new Array<boolean>(items.length).fill(false);
  const cells = (it: LabelCandidate, visit: (key: number) => boolean): boolean => {
    const x0 = Math.floor((it.x - GAP) / CELL), x1 = Math.floor((it.x + it.w + GAP) / CELL);
    const y0 = Math.floor((it.y - GAP) / CELL), y1 = Math.floor((it.y + it.h + GAP) / CELL);
    for (let cx = x0; cx <= x1; cx++) for (let cy = y0; cy <= y1; cy++) if (!visit(cx * 100003 + cy)) return false;
    return true;
  };
  for (const i of order) {
    const it = items[i];
    const free = it.always || cells(it, (key) => {
      for (const j of grid.get(key) ?? []) {
        const o = items[j];
        if (it.x < o.x + o.w + GAP && o.x < it.x + it.w + GAP && it.y < o.y + o.h + GAP && o.y < it.y + it.h + GAP) return false;
      }
      return true;
    });
    if (!free) continue;
    shown[i] = true;
    cells(it, (key) => {
      const list = grid.get(key);
      if (list) list.push(i);
      else grid.set(key, [i]);
      return true;
    });
  }
  return shown;
}

/** Text widths in the labels' font, measured once per text. */
export class LabelMeasure {
  private readonly widths = new Map<string, number>();
  private context: CanvasRenderingContext2D | null = null;
  private font = "";
  height = 14;

  /** Takes the font from one label element (its style applies even while the label is hidden). */
  use(label: HTMLElement): void {
    const style = getComputedStyle(label);
    const font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    if (font === this.font) return;
    this.font = font;
    this.widths.clear();
    this.context ??= document.createElement("canvas").getContext("2d");
    if (this.context) this.context.font = font;
    const size = parseFloat(style.fontSize) || 11.5;
    this.height = Math.ceil(size * 1.3);
  }

  width(text: string): number {
    let w = this.widths.get(text);
    if (w === undefined) {
      w = Math.ceil(this.context ? this.context.measureText(text).width : text.length * 7) + 2;
      if (this.widths.size > 20_000) this.widths.clear();
      this.widths.set(text, w);
    }
    return w;
  }
}
