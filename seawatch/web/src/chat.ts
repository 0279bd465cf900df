// Chat panel: a case's room and the regional rooms between partners (admins open new ones, naming the
// partner nations). Messages come from the node (own and partners'), newest at the bottom, pushed live;
// structured reports are drawn in the reader's language from their data (report-text.ts), free text as
// written with its language (and a translation when the node has a model, else a quiet note saying so).
// Words through i18n.ts: on a language change the rooms, messages and reports are drawn again.
import "./chat.css";
import { api } from "./api";
import { panelHtml, toggleHtml } from "./chat-template";
import type * as Api from "./generated/api";
import { fmtClock, fmtDateTime, isLanguage, language, onLanguageChange, t, translatePage } from "./i18n";
import { problemText } from "./problem-text";
import { type Report, reportLines } from "./report-text";
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

/** A short name for a room, unique enough on this node: its title in lower-case ASCII. */
export function slugOf(title: string): string {
  const base = title.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 48);
  return base || `room-${Date.now().toString(36)}`;
}

export class ChatPanel {
  private readonly panel: HTMLElement;
  private readonly toggle: HTMLButtonElement;
  private readonly roomSelect: HTMLSelectElement;
  private readonly list: HTMLOListElement;
  private readonly error: HTMLElement;
  private rooms = new Map<string, ChatRoom>();
  private roomId: string | null = null;
  /** The open room's messages by id, as the node sent them (drawn again on a language change). */
  private messages = new Map<string, ChatMessage>();
  private unread = 0;
  /** What the error line says (see `say`). */
  private said: [string | null, unknown] = [null, ""];
  /** Where a new report is, by default (the map's centre). */
  centre: () => [number, number] = () => [0, 0];

  private ownNode: string | null = null;

  constructor(private readonly canPost: boolean, private readonly canOpenRooms = false) {
    this.toggle = el("button", { id: "chat-toggle", class: "ghost", "data-testid": "chat-toggle", type: "button" }, toggleHtml());
    document.getElementById("user-name")?.before(this.toggle);
    this.panel = el("section", { id: "chat-panel", class: "chat-panel", "data-testid": "chat-panel" });
    this.panel.hidden = true;
    this.panel.innerHTML = panelHtml(canPost, canOpenRooms);
    translatePage(this.toggle);
    translatePage(this.panel);
    document.getElementById("app")?.append(this.panel);
    this.roomSelect = this.panel.querySelector("[data-testid=chat-room]") as HTMLSelectElement;
    this.list = this.panel.querySelector("[data-testid=chat-messages]") as HTMLOListElement;
    this.error = this.panel.querySelector("[data-testid=chat-error]") as HTMLElement;
    this.toggle.onclick = () => (this.panel.hidden ? void this.open() : this.close());
    (this.panel.querySelector("[data-testid=chat-close]") as HTMLElement).onclick = () => this.close();
    this.roomSelect.onchange = () => void this.show(this.roomSelect.value);
    this.wireComposer();
    this.wireRoomForm();
    onLanguageChange(() => this.redraw());
    this.atEachMidnight();
  }

  /** At each UTC midnight the open room's times are written again, so yesterday's say their date (a wall
   * screen stays open for days). */
  private atEachMidnight(): void {
    const day = 86_400_000;
    window.setTimeout(() => {
      for (const stamp of this.list.querySelectorAll<HTMLTimeElement>("time[data-testid=chat-time]")) {
        stamp.textContent = fmtClock(Date.parse(stamp.dateTime));
      }
      this.atEachMidnight();
    }, day - (Date.now() % day) + 1000);
  }

  /** The error line: what failed (a catalogue key, said in the reader's language) and the node's reason. */
  // i18n-keys: chat.not_made chat.send_failed
  private say(key: string | null, why: unknown = ""): void {
    this.said = [key, why];
    const detail = typeof why === "string" ? why : problemText(why);
    this.error.textContent = key ? `${t(key)}: ${detail}` : detail;
  }

  /** Everything drawn from data again in the new language (fixed words follow through data-i18n). */
  private redraw(): void {
    this.say(...this.said);
    this.fillRooms();
    this.members();
    for (const m of this.messages.values()) {
      this.list.querySelector(`[data-id="${CSS.escape(m.id)}"]`)?.replaceWith(this.render(m));
    }
    const empty = this.list.querySelector(".chat-empty");
    if (empty) empty.textContent = t("chat.empty");
  }

  private wireComposer(): void {
    const form = this.panel.querySelector("[data-testid=chat-form]") as HTMLFormElement | null;
    form?.addEventListener("submit", (e) => {
      e.preventDefault();
      const text = (form.querySelector("textarea") as HTMLTextAreaElement).value;
      const lang = (form.querySelector("select") as HTMLSelectElement).value;
      void this.send({ text, lang: isLanguage(lang) ? lang : null }).then((ok) => {
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
      void this.send({ report: body, lang: language() });
    });
  }

  /** Admins: "+" opens a small form (name, partner nations); the node opens the room and shares it. */
  private wireRoomForm(): void {
    const form = this.panel.querySelector("[data-testid=chat-room-form]") as HTMLFormElement | null;
    const button = this.panel.querySelector("[data-testid=chat-new-room]") as HTMLButtonElement | null;
    if (!form || !button) return;
    const title = form.querySelector("[name=title]") as HTMLInputElement;
    const members = form.querySelector("[name=members]") as HTMLInputElement;
    button.onclick = () => {
      form.hidden = !form.hidden;
      if (!form.hidden) title.focus();
    };
    (form.querySelector("[data-testid=chat-room-cancel]") as HTMLElement).onclick = () => (form.hidden = true);
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      const partners = members.value.toLowerCase().split(/[\s,;]+/).filter((m) => m);
      this.say(null);
      let slug = slugOf(title.value);
      for (let n = 2; this.rooms.has(`region:${this.ownNode}:${slug}`); n += 1) slug = `${slugOf(title.value)}-${n}`; // a new room, not a rename
      void api.post("/api/chat/rooms", { slug, title: title.value.trim(), members: partners })
        .then(async (room) => {
          this.rooms.set(room.room_id, room);
          form.reset();
          form.hidden = true;
          this.fillRooms();
          await this.show(room.room_id);
        })
        .catch((err: unknown) => {
          this.say("chat.not_made", err);
        });
    });
  }

  async open(roomId?: string): Promise<void> {
    this.panel.hidden = false;
    this.toggle.classList.add("active");
    this.unread = 0;
    this.badge();
    await this.loadRooms();
    const wanted = roomId ?? this.roomId ?? this.roomSelect.value;
    if (wanted && this.rooms.has(wanted)) await this.show(wanted);
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
      this.say(null, (err as Error).message);
    }
    this.fillRooms();
  }

  /** The room picker: case rooms, then regional rooms (each "OWNER · title"), newest activity first. */
  private fillRooms(): void {
    const group = (kind: string, label: string) => {
      const rooms = [...this.rooms.values()].filter((r) => r.kind === kind);
      if (!rooms.length) return "";
      const items = rooms
        .map((r) => `<option value="${esc(r.room_id)}" data-kind="${esc(r.kind)}" data-testid="chat-room-option">`
          + `${esc(r.owner.toUpperCase())} · ${esc(r.title)}</option>`) // the owner first: a long title is cut at its end
        .join("");
      return `<optgroup label="${esc(label)}" data-kind="${esc(kind)}">${items}</optgroup>`;
    };
    const current = this.roomId;
    this.roomSelect.innerHTML = group("case", t("chat.case_rooms")) + group("region", t("chat.regional_rooms"))
      || `<option value="" disabled selected>${esc(t("chat.no_rooms"))}</option>`;
    if (current && this.rooms.has(current)) this.roomSelect.value = current;
  }

  /** Under the picker: what kind of room, and the nations that share it. */
  private members(): void {
    const room = this.roomId ? this.rooms.get(this.roomId) : undefined;
    const line = this.panel.querySelector("[data-testid=chat-members]") as HTMLElement;
    line.dataset.kind = room?.kind ?? "";
    line.textContent = room
      ? `${room.kind === "region" ? `${t("chat.region_room")} · ` : ""}${t("chat.members")}: `
        + room.members.map((m) => m.toUpperCase()).join(", ")
      : "";
  }

  private async show(roomId: string): Promise<void> {
    this.roomId = roomId;
    this.roomSelect.value = roomId;
    this.list.innerHTML = "";
    this.messages.clear();
    this.say(null);
    this.panel.dataset.room = roomId;
    this.members();
    try {
      const page = await api.get("/api/chat/rooms/{room_id}/messages", {
        path: { room_id: roomId },
        query: { limit: PAGE },
      });
      if (this.roomId !== roomId) return;
      for (const m of page.messages) this.add(m);
      if (!page.messages.length) this.list.innerHTML = `<li class="chat-empty muted">${esc(t("chat.empty"))}</li>`;
    } catch (err) {
      this.say(null, (err as Error).message);
    }
  }

  private async send(body: Api.MessageIn): Promise<boolean> {
    if (!this.roomId) return false;
    this.say(null);
    try {
      const sent = await api.post("/api/chat/rooms/{room_id}/messages", body, { path: { room_id: this.roomId } });
      this.add(sent);
      return true;
    } catch (err) {
      this.say("chat.send_failed", err);
      return false;
    }
  }

  /** A live message (own or a partner's): shown when its room is open, else counted as unread. */
  onMessage(m: ChatMessage): void {
    if (this.roomId === m.room_id && !this.panel.hidden) {
      this.add(m);
      return;
    }
    if (!this.messages.has(m.id)) {
      this.unread += 1;
      this.badge();
    }
  }

  onRoom(room: ChatRoom): void {
    this.rooms.set(room.room_id, room);
    if (!this.panel.hidden) this.fillRooms();
    if (room.room_id === this.roomId) this.members();
  }

  private badge(): void {
    const badge = this.toggle.querySelector("[data-testid=chat-unread]") as HTMLElement;
    badge.hidden = this.unread === 0;
    badge.textContent = String(this.unread);
  }

  private add(m: ChatMessage): void {
    const existing = this.list.querySelector(`[data-id="${CSS.escape(m.id)}"]`);
    this.messages.set(m.id, m);
    const item = this.render(m);
    if (existing) {
      existing.replaceWith(item); // again, with its translations
      return;
    }
    this.list.querySelector(".chat-empty")?.remove();
    this.list.append(item);
    item.scrollIntoView({ block: "end" });
  }

  private render(m: ChatMessage): HTMLLIElement {
    const lang = language();
    const own = this.ownNode !== null && m.origin === this.ownNode;
    const item = el("li", {
      class: `chat-msg${own ? " own" : ""}`,
      "data-id": m.id,
      "data-origin": m.origin,
      "data-testid": "chat-message",
    });
    // the reader's locale's way of writing a time, on the operations centre's clock (UTC, said so); the day
    // too when it was not today; the whole date and seconds on hover
    const sent = Date.parse(m.time);
    const time = fmtClock(sent);
    const langName = m.lang && isLanguage(m.lang) ? t(`language.${m.lang}`) : t("chat.language");
    const langTag = m.lang ? `<span class="chat-lang" title="${esc(langName)}">${esc(m.lang.toUpperCase())}</span>` : "";
    let body = "";
    if (m.text) {
      body += `<p class="chat-text" data-testid="chat-text-out" lang="${esc(m.lang ?? "")}">${esc(m.text)}</p>`;
      const translated = m.translations?.[lang];
      if (translated && m.lang !== lang) {
        body += `<p class="chat-translation" data-testid="chat-translation" lang="${lang}" title="${esc(t("chat.translation"))}">`
          + `${esc(translated)}</p>`;
      } else if (m.lang !== lang && m.translation_note) {
        body += `<p class="chat-note muted" data-testid="chat-note">${esc(t("chat.no_model"))}</p>`;
      }
    }
    if (m.report) {
      const { title, lines } = reportLines(m.report as Report, lang);
      const rows = lines.map(([label, value]) => `<dt>${esc(label)}</dt><dd>${esc(value)}</dd>`).join("");
      body += `<div class="chat-report" data-testid="chat-report" data-type="${esc(m.report.type)}" lang="${lang}">`
        + `<h4>${esc(title)}</h4><dl>${rows}</dl></div>`;
    }
    item.innerHTML = `<div class="chat-meta"><b>${esc(m.author)}</b> <span class="chat-nation">${esc(m.origin.toUpperCase())}</span>
      <time datetime="${esc(m.time)}" title="${esc(fmtDateTime(sent, { seconds: true }))}" data-testid="chat-time">${esc(time)}</time>${langTag}</div>${body}`;
    return item;
  }
}
