// In the case view (operators): a button on each linked item to take it off the case (the node keeps the
// unlink on the timeline and tells the partners), and a picker to link one of the node's patrol assets
// (GET /api/ops/assets) to the case; a linked asset is listed with the case's other links.
import { api } from "./api";
import { t } from "./i18n";
import { esc } from "./util";

export function unlinkButtons(list: HTMLElement, unlink: (kind: string, ref: string) => void): void {
  for (const li of list.querySelectorAll<HTMLLIElement>("[data-testid=case-link]")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "small ghost case-unlink";
    button.dataset.testid = "case-unlink";
    button.textContent = "✕";
    button.title = t("case_links.unlink");
    button.setAttribute("aria-label", t("case_links.unlink"));
    button.onclick = (e) => {
      e.stopPropagation(); // not a click on the link itself (that brings it into view)
      unlink(li.dataset.kind ?? "", li.dataset.ref ?? "");
    };
    li.append(button);
  }
}

/** A select of the node's patrol assets not linked yet, and a button to link the chosen one. */
export async function assetPicker(after: HTMLElement, linked: ReadonlySet<string>, link: (assetId: string) => void): Promise<void> {
  const form = document.createElement("form");
  form.className = "row case-asset-form";
  form.dataset.testid = "case-asset-form";
  after.after(form);
  let all: { id: string; name: string; kind: string }[] = [];
  try {
    all = await api.get("/api/ops/assets");
  } catch {
    all = [];
  }
  const assets = all.filter((a) => !linked.has(a.id));
  if (!all.length) {
    form.innerHTML = `<span class="muted" data-testid="case-no-assets">${esc(t("case_links.no_assets"))}</span>`;
    return;
  }
  if (!assets.length) {
    form.remove(); // every asset of the node is linked already
    return;
  }
  form.innerHTML = `<label class="grow">${esc(t("case_links.asset"))} <select data-testid="case-asset-select">`
    + `<option value="">${esc(t("case_links.asset_pick"))}</option>`
    + assets.map((a) => `<option value="${esc(a.id)}">${esc(a.name)} (${esc(t(`fleet.${a.kind}`))})</option>`).join("")
    + `</select></label><button type="submit" class="small" data-testid="case-asset-link">${esc(t("case_links.asset_link"))}</button>`;
  form.onsubmit = (e) => {
    e.preventDefault();
    const chosen = (form.querySelector("select") as HTMLSelectElement).value;
    if (chosen) link(chosen);
  };
}
