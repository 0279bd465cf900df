// Vessel label declutter: where boats lie together, a label whose box would overlap one already placed, or
// another vessel's symbol, takes the first free one of the standard positions around its symbol (right, left,
// above, below, as chart plotters do), and is hidden if none is free. Threats and alerts are placed first,
// then moving vessels, then moored ones; a selected or alerted vessel's label is always shown. Boxes are estimated from the text's measured
// width (canvas, cached) and the symbols' known size, so placing thousands of labels reads no layout from
// the page. Cost: labels and symbols each go into a uniform grid once, and a label is tested only against
// the boxes in the few cells it touches: O(n log n) for the ordering, near O(n) for the rest (n labels and
// symbols), as before symbols were avoided; each further position is one more such test (at most 4x).

export interface LabelCandidate {
  /** the label's top-left corner on the right of its symbol, and its size, in map (layer) pixels */
  x: number;
  y: number;
  w: number;
  h: number;
  /** lower is placed first: 0 threat / alert, 1 moving, 2 moored */
  rank: number;
  /** shown whatever it overlaps (selected or alerted) */
  always: boolean;
  /** the symbol's centre (map pixels) and how far from it the label's near edge lies on the left, above and
   * below (on the left at the right box's height, above and below centred); without it, only the right */
  around?: { x: number; y: number; reach: number };
}

/** A vessel's symbol on the map (map pixels), which no label of another vessel may cover. */
export interface SymbolBox {
  x: number;
  y: number;
  w: number;
  h: number;
  /** the index of the same vessel's label among the candidates (its own label may touch it), else -1 */
  owner: number;
}

/** What a placement cost: how many box-to-box tests it made (a count, to compare sizes of the picture). */
export interface PlaceStats {
  checks: number;
}

const CELL = 64; // the grid's cell (px): a box is tested against the boxes in the cells it touches
const GAP = 2; // px kept clear between two labels
const KEY = 100003; // a cell's key: cx * KEY + cy

type Box = { x: number; y: number; w: number; h: number };

/** The grid cells a box (grown by `gap`) touches, each given to `visit` until it answers false. */
function eachCell(it: Box, gap: number, visit: (key: number) => boolean): boolean {
  const x0 = Math.floor((it.x - gap) / CELL), x1 = Math.floor((it.x + it.w + gap) / CELL);
  const y0 = Math.floor((it.y - gap) / CELL), y1 = Math.floor((it.y + it.h + gap) / CELL);
  for (let cx = x0; cx <= x1; cx++) for (let cy = y0; cy <= y1; cy++) if (!visit(cx * KEY + cy)) return false;
  return true;
}

function overlap(a: Box, b: Box, gap: number): boolean {
  return a.x < b.x + b.w + gap && b.x < a.x + a.w + gap && a.y < b.y + b.h + gap && b.y < a.y + a.h + gap;
}

function put(grid: Map<number, number[]>, key: number, i: number): true {
  const list = grid.get(key);
  if (list) list.push(i);
  else grid.set(key, [i]);
  return true;
}

/** The standard positions of a label around its symbol, tried in this order (as chart plotters do): the
 * first one free is taken. "right" is the default (the label's CSS without a side class). */
export type LabelSide = "right" | "left" | "above" | "below";
export const LABEL_SIDES: readonly LabelSide[] = ["right", "left", "above", "below"];

/** Which side each candidate's label takes, or null where it is hidden: no two shown boxes overlap, and no
 * shown box covers another vessel's symbol (`symbols`), except those marked `always` (shown on the first free
 * side, else on the right). `sides` are tried in order (a candidate without `around` has only the right);
 * each costs at most one more test of the same few grid cells, so the cost class stays as with one side.
 * `view`: the map's visible box; only a side wholly inside it is taken (a label by the right edge goes
 * left), and a vessel whose symbol lies outside it (drawn just past the edge) shows no label: a label cut
 * by the edge, or one without its symbol, only adds noise. Labels marked `always` show whatever. */
export function placeLabels(
  items: readonly LabelCandidate[], symbols: readonly SymbolBox[] = [], stats?: PlaceStats,
  sides: readonly LabelSide[] = LABEL_SIDES, view?: Box,
): (LabelSide | null)[] {
  const order = items.map((_, i) => i);
  order.sort((a, b) => Number(items[b].always) - Number(items[a].always) || items[a].rank - items[b].rank || a - b);
  const placed = new Map<number, number[]>();
  const marks = new Map<number, number[]>();
  symbols.forEach((sym, k) => eachCell(sym, 0, (key) => put(marks, key, k)));
  const side = new Array<LabelSide | null>(items.length).fill(null);
  const boxes: Box[] = new Array<Box>(items.length); // the placed labels' boxes, on their sides
  let checks = 0;
  const free = (i: number, box: Box): boolean => eachCell(box, GAP, (key) => {
    for (const j of placed.get(key) ?? []) {
      checks++;
      if (overlap(box, boxes[j], GAP)) return false;
    }
    for (const k of marks.get(key) ?? []) {
      const sym = symbols[k];
      if (sym.owner === i) continue;
      checks++;
      if (overlap(box, sym, 0)) return false;
    }
    return true;
  });
  const inView = (box: Box): boolean =>
    !view || (box.x >= view.x && box.y >= view.y && box.x + box.w <= view.x + view.w && box.y + box.h <= view.y + view.h);
  const symbolInView = (it: LabelCandidate): boolean =>
    !view || !it.around || inView({ x: it.around.x, y: it.around.y, w: 0, h: 0 });
  for (const i of order) {
    const it = items[i];
    let chosen: LabelSide | null = null;
    let box: Box = it;
    if (symbolInView(it)) {
      for (const s of sides) {
        if (s !== "right" && !it.around) continue;
        const at = sideBox(it, s);
        if (inView(at) && free(i, at)) {
          chosen = s;
          box = at;
          break;
        }
      }
    }
    if (chosen === null) {
      if (!it.always) continue;
      chosen = "right";
    }
    side[i] = chosen;
    boxes[i] = box;
    eachCell(box, GAP, (key) => put(placed, key, i));
  }
  if (stats) stats.checks = checks;
  return side;
}

/** A candidate's label box on one side of its symbol. */
export function sideBox(it: LabelCandidate, side: LabelSide): Box {
  const a = it.around;
  if (side === "right" || !a) return { x: it.x, y: it.y, w: it.w, h: it.h };
  if (side === "left") return { x: a.x - a.reach - it.w, y: it.y, w: it.w, h: it.h };
  const x = a.x - it.w / 2;
  return side === "above" ? { x, y: a.y - a.reach - it.h, w: it.w, h: it.h } : { x, y: a.y + a.reach, w: it.w, h: it.h };
}

/** Text widths in the labels' font, measured once per text. */
export class LabelMeasure {
  private readonly widths = new Map<string, number>();
  private context: CanvasRenderingContext2D | null = null;
  private font = "";
  height = 14;
  /** the symbols' scale (`--sym-scale`: bigger on the wall screen) */
  symbolScale = 1;

  /** Takes the font (and the symbols' scale) from one label element (its style applies even while the
   * label is hidden). */
  use(label: HTMLElement): void {
    const style = getComputedStyle(label);
    this.symbolScale = parseFloat(style.getPropertyValue("--sym-scale")) || 1;
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
