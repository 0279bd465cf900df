// Chat panel: a case's room and the regional rooms between partners. Messages come from the node (own and
// partners'), newest at the bottom, pushed live; structured reports are drawn in the reader's language
// from their data (report-text.ts), free text as written with its language (and a translation when the
// node has a model, else a quiet note saying so).
import "./chat.css";
import { api, ApiError } from "./api";
import {
  assistanceRequestNeedValues,
  assistanceRequestUrgencyValues,
  contactReportActivityValues,
  contactReportWhatValues,
  handoverReasonValues,
} from "./generated/api";
import type * as Api from "./generated/api";
import { LANGS, type Lang, readerLang, type Report, reportLines, t } from "./report-text";
import { esc } from "./util";

type ChatMessage = Api.ChatMessage;
type ChatRoom = Api.ChatRoom;
const PAGE = 200;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, html = ""): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (html) node.innerHTML = html;
  return node;
}

function options(values: readonly string[], group: string, lang: Lang): string {
  return values.map((v) => `<option value="${esc(v)}">${esc(t(lang, `report.${group}.${v}`))}</option>`).join("");
}

export class ChatPanel {
  private readonly panel: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly roomSelect: HTMLSelectElement;
  private readonly list: HTMLOListElement;
  private readonly error: HTMLElement;
  private rooms = new Map<string, ChatRoom>();
  private roomId: string | null = null;
  private seen = new Set<string>();
  private unread = 0;
  /** Where a new report is, by default (the map's centre). */
  centre: () => [number, number] = () => [0, 0];

  private ownNode: string | null = null;

  constructor(private readonly canPost: boolean) {
    const lang = readerLang();
    this.toggle = el("button", { id: "chat-toggle", class: "ghost", "data-testid": "chat-toggle", type: "button" });
    this.toggle.innerHTML = `${esc(t(lang, "chat.title"))} <span class="badge quiet" data-testid="chat-unread" hidden></span>`;
    document.getElementById("user-name")?.before(this.toggle);
    this.panel = el("section", { id: "chat-panel", class: "chat-panel", "data-testid": "chat-panel" });
    this.panel.hidden = true;
    this.panel.innerHTML = this.template(lang);
    document.getElementById("app")?.append(this.panel);
    this.roomSelect = this.panel.querySelector("[data-testid=chat-room]") as HTMLSelectElement;
    this.list = this.panel.querySelector("[data-testid=chat-messages]") as HTMLOListElement;
    this.error = this.panel.querySelector("[data-testid=chat-error]") as HTMLElement;
    this.toggle.onclick = () => (this.panel.hidden ? void this.open() : this.close());
    (this.panel.querySelector("[data-testid=chat-close]") as HTMLElement).onclick = () => this.close();
    this.roomSelect.onchange = () => void this.show(this.roomSelect.value);
    this.wireComposer();
  }

  private template(lang: Lang): string {
    const langs = LANGS.map((l) => `<option value="${l}">${l.toUpperCase()}</option>`).join("");
    const composer = this.canPost
      ? `<form class="chat-form" data-testid="chat-form">
          <textarea data-testid="chat-text" maxlength="4000" rows="2" placeholder="${esc(t(lang, "chat.placeholder"))}"></textarea>
          <div class="chat-row">
            <select data-testid="chat-lang" title="${esc(t(lang, "chat.language"))}"><option value="">auto</option>${langs}</select>
            <button type="submit" data-testid="chat-send">${esc(t(lang, "chat.send"))}</button>
          </div>
        </form>
        <details class="chat-report-fold" data-testid="chat-report-fold"><summary>${esc(t(lang, "chat.report"))}</summary>
          <form class="chat-report-form" data-testid="chat-report-form">
            <select name="type" data-testid="report-type">
              <option value="contact">${esc(t(lang, "report.title.contact"))}</option>
              <option value="assistance">${esc(t(lang, "report.title.assistance"))}</option>
              <option value="handover">${esc(t(lang, "report.title.handover"))}</option>
            </select>
            <label data-for="contact handover">${esc(t(lang, "report.label.what"))}
              <select name="what" data-testid="report-what">${options(contactReportWhatValues, "what", lang)}</select></label>
            <label data-for="contact">${esc(t(lang, "report.label.activity"))}
              <select name="activity" data-testid="report-activity">${options(contactReportActivityValues, "activity", lang)}</select></label>
            <label data-for="assistance">${esc(t(lang, "report.label.need"))}
              <select name="need">${options(assistanceRequestNeedValues, "need", lang)}</select></label>
            <label data-for="assistance">${esc(t(lang, "report.label.urgency"))}
              <select name="urgency">${options(assistanceRequestUrgencyValues, "urgency", lang)}</select></label>
            <label data-for="assistance">${esc(t(lang, "report.label.persons"))}<input name="persons" type="number" min="0" max="10000"></label>
            <label data-for="handover">${esc(t(lang, "report.label.to"))}<input name="to_node" data-testid="report-to" pattern="[a-z0-9][a-z0-9_-]{0,31}"></label>
            <label data-for="handover">${esc(t(lang, "report.label.reason"))}
              <select name="reason">${options(handoverReasonValues, "reason", lang)}</select></label>
            <div class="chat-row">
              <label>Lat<input name="lat" type="number" step="any" min="-90" max="90" required data-testid="report-lat"></label>
              <label>Lon<input name="lon" type="number" step="any" min="-180" max="180" required data-testid="report-lon"></label>
            </div>
            <div class="chat-row" data-for="contact handover">
              <label>${esc(t(lang, "report.label.course"))}<input name="course_deg" type="number" min="0" max="359.9" step="any" data-testid="report-course"></label>
              <label>${esc(t(lang, "report.label.speed"))}<input name="speed_kn" type="number" min="0" max="99" step="any" data-testid="report-speed"></label>
            </div>
            <div class="chat-row">
              <button type="button" class="ghost small" data-testid="report-centre">${esc(t(lang, "chat.use_map_centre"))}</button>
              <button type="submit" data-testid="report-send">${esc(t(lang, "chat.send"))}</button>
            </div>
          </form>
        </details>`
      : "";
    return `<header class="chat-head">
        <select data-testid="chat-room" aria-label="${esc(t(lang, "chat.title"))}"></select>
        <button type="button" class="ghost small" data-testid="chat-close" aria-label="${esc(t(lang, "chat.close"))}">✕</button>
      </header>
      <p class="chat-members muted" data-testid="chat-members"></p>
      <ol class="chat-messages" data-testid="chat-messages"></ol>
      <p class="chat-error error" role="alert" data-testid="chat-error"></p>
      ${composer}`;
  }

  private wireComposer(): void {
    const form = this.panel.querySelector("[data-testid=chat-form]") as HTMLFormElement | null;
    form?.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = (form.querySelector("textarea") as HTMLTextAreaElement).value;
      const lang = (form.querySelector("select") as HTMLSelectElement).value as Lang | "";
      void this.send({ text, lang: lang || null }).then((ok) => {
        if (ok) (form.querySelector("textarea") as HTMLTextAreaElement).value = "";
      });
    });
    const report = this.panel.querySelector("[data-testid=chat-report-form]") as HTMLFormElement | null;
    if (!report) return;
    const typeSelect = report.querySelector("[name=type]") as HTMLSelectElement;
    const showFields = () => {
      for (const node of report.querySelectorAll<HTMLElement>("[data-for]")) {
        node.hidden = !(node.dataset.for ?? "").split(" ").includes(typeSelect.value);
      }
    };
    typeSelect.onchange = showFields;
    showFields();
    const centre = () => {
      const [lat, lon] = this.centre();
      (report.querySelector("[name=lat]") as HTMLInputElement).value = lat.toFixed(4);
      (report.querySelector("[name=lon]") as HTMLInputElement).value = lon.toFixed(4);
    };
    (report.querySelector("[data-testid=report-centre]") as HTMLElement).onclick = centre;
    (this.panel.querySelector("[data-testid=chat-report-fold]") as HTMLDetailsElement).ontoggle = () => {
      if (!(report.querySelector("[name=lat]") as HTMLInputElement).value) centre();
    };
    report.addEventListener("submit", (e) => {
      e.preventDefault();
      const data = new FormData(report);
      const value = (name: string) => String(data.get(name) ?? "");
      const number = (name: string) => (value(name) === "" ? null : Number(value(name)));
      const type = value("type");
      const common = { lat: Number(value("lat")), lon: Number(value("lon")), time: new Date().toISOString() };
      const motion = { course_deg: number("course_deg"), speed_kn: number("speed_kn") };
      let body: Report;
      if (type === "contact") {
        body = { type, ...common, ...motion, what: value("what") as Api.ContactReport["what"],
          activity: value("activity") as Api.ContactReport["activity"] };
      } else if (type === "assistance") {
        body = { type, ...common, need: value("need") as Api.AssistanceRequest["need"],
          urgency: value("urgency") as Api.AssistanceRequest["urgency"], persons: number("persons") };
      } else {
        body = { type: "handover", ...common, ...motion, what: value("what") as Api.Handover["what"],
          to_node: value("to_node"), reason: value("reason") as Api.Handover["reason"] };
      }
      void this.send({ report: body, lang: readerLang() });
    });
  }

  async open(roomId?: string): Promise<void> {
    this.panel.hidden = false;
    this.toggle.classList.add("active");
    this.unread = 0;
    this.badge();
    await this.loadRooms();
    const wanted = roomId ?? this.roomId ?? this.roomSelect.value;
    if (wanted) await this.show(wanted);
  }

  /** The chat of a case (its room is opened by the node if it has none yet). */
  async openCase(caseId: string): Promise<void> {
    const room = await api.get("/api/chat/cases/{case_id}", { path: { case_id: caseId } });
    this.rooms.set(room.room_id, room);
    await this.open(room.room_id);
  }

  close(): void {
    this.panel.hidden = true;
    this.toggle.classList.remove("active");
  }

  private async loadRooms(): Promise<void> {
    try {
      this.ownNode ??= (await api.get("/api/health")).node_id;
      const answer = await api.get("/api/chat/rooms");
      for (const room of answer.rooms) this.rooms.set(room.room_id, room);
    } catch (err) {
      this.error.textContent = (err as Error).message;
    }
    this.fillRooms();
  }

  private fillRooms(): void {
    const lang = readerLang();
    const group = (kind: string, label: string) => {
      const rooms = [...this.rooms.values()].filter((r) => r.kind === kind);
      if (!rooms.length) return "";
      const items = rooms
        .map((r) => `<option value="${esc(r.room_id)}">${esc(r.title)} · ${esc(r.owner.toUpperCase())}</option>`)
        .join("");
      return `<optgroup label="${esc(label)}">${items}</optgroup>`;
    };
    const current = this.roomId;
    this.roomSelect.innerHTML =
      group("case", t(lang, "chat.case_room")) + group("region", t(lang, "chat.regional_rooms"));
    if (current && this.rooms.has(current)) this.roomSelect.value = current;
  }

  private async show(roomId: string): Promise<void> {
    this.roomId = roomId;
    this.roomSelect.value = roomId;
    this.list.innerHTML = "";
    this.seen.clear();
    this.error.textContent = "";
    const room = this.rooms.get(roomId);
    const lang = readerLang();
    this.panel.dataset.room = roomId;
    (this.panel.querySelector("[data-testid=chat-members]") as HTMLElement).textContent = room
      ? `${t(lang, "chat.members")}: ${room.members.map((m) => m.toUpperCase()).join(", ")}`
      : "";
    try {
      const page = await api.get("/api/chat/rooms/{room_id}/messages", {
        path: { room_id: roomId },
        query: { limit: PAGE },
      });
      if (this.roomId !== roomId) return;
      for (const m of page.messages) this.add(m);
      if (!page.messages.length) this.list.innerHTML = `<li class="chat-empty muted">${esc(t(lang, "chat.empty"))}</li>`;
    } catch (err) {
      this.error.textContent = (err as Error).message;
    }
  }

  private async send(body: Api.MessageIn): Promise<boolean> {
    if (!this.roomId) return false;
    this.error.textContent = "";
    try {
      const sent = await api.post("/api/chat/rooms/{room_id}/messages", body, { path: { room_id: this.roomId } });
      this.add(sent);
      return true;
    } catch (err) {
      const lang = readerLang();
      const detail = err instanceof ApiError ? err.problem.detail ?? err.message : (err as Error).message;
      this.error.textContent = `${t(lang, "chat.send_failed")}: ${detail}`;
      return false;
    }
  }

  /** A live message (own or a partner's): shown when its room is open, else counted as unread. */
  onMessage(m: ChatMessage): void {
    if (this.roomId === m.room_id && !this.panel.hidden) {
      this.add(m);
      return;
    }
    if (!this.seen.has(m.id)) {
      this.unread += 1;
      this.badge();
    }
  }

  onRoom(room: ChatRoom): void {
    this.rooms.set(room.room_id, room);
    if (!this.panel.hidden) this.fillRooms();
  }

  private badge(): void {
    const badge = this.toggle.querySelector("[data-testid=chat-unread]") as HTMLElement;
    badge.hidden = this.unread === 0;
    badge.textContent = String(this.unread);
  }

  private add(m: ChatMessage): void {
    const existing = this.list.querySelector(`[data-id="${CSS.escape(m.id)}"]`);
    const item = this.render(m);
    if (existing) {
      existing.replaceWith(item); // again, with its translations
      return;
    }
    this.seen.add(m.id);
    this.list.querySelector(".chat-empty")?.remove();
    this.list.append(item);
    item.scrollIntoView({ block: "end" });
  }

  private render(m: ChatMessage): HTMLLIElement {
    const lang = readerLang();
    const own = this.ownNode !== null && m.origin === this.ownNode;
    const item = el("li", {
      class: `chat-msg${own ? " own" : ""}`,
      "data-id": m.id,
      "data-origin": m.origin,
      "data-testid": "chat-message",
    });
    const time = new Date(m.time).toISOString().slice(11, 16);
    const langTag = m.lang ? `<span class="chat-lang" title="${esc(t(lang, "chat.language"))}">${esc(m.lang.toUpperCase())}</span>` : "";
    let body = "";
    if (m.text) {
      body += `<p class="chat-text" data-testid="chat-text-out" lang="${esc(m.lang ?? "")}">${esc(m.text)}</p>`;
      const translated = m.translations?.[lang];
      if (translated && m.lang !== lang) {
        body += `<p class="chat-translation" data-testid="chat-translation" lang="${lang}">${esc(translated)}</p>`;
      } else if (m.lang !== lang && m.translation_note) {
        body += `<p class="chat-note muted" data-testid="chat-note">${esc(t(lang, "chat.no_model"))}</p>`;
      }
    }
    if (m.report) {
      const { title, lines } = reportLines(m.report as Report, lang);
      const rows = lines.map(([label, value]) => `<dt>${esc(label)}</dt><dd>${esc(value)}</dd>`).join("");
      body += `<div class="chat-report" data-testid="chat-report" data-type="${esc(m.report.type)}"><h4>${esc(title)}</h4><dl>${rows}</dl></div>`;
    }
    item.innerHTML = `<div class="chat-meta"><b>${esc(m.author)}</b> <span class="chat-nation">${esc(m.origin.toUpperCase())}</span>
      <time datetime="${esc(m.time)}">${time}Z</time>${langTag}</div>${body}`;
    return item;
  }
}
