// The chat panel's markup: fixed words carry data-i18n (translatePage redraws them on a language change,
// so nothing the officer typed is lost); options of the report form name codes in the reader's language.
import {
  assistanceRequestNeedValues,
  assistanceRequestUrgencyValues,
  contactReportActivityValues,
  contactReportWhatValues,
  handoverReasonValues,
} from "./generated/api";
import { LANGUAGES } from "./i18n";
import { esc } from "./util";

// i18n-keys: chat.auto chat.cancel chat.create chat.report chat.room_partners chat.room_title chat.send
// i18n-keys: chat.title chat.use_map_centre report.label.activity report.label.course report.label.need
// i18n-keys: report.label.persons report.label.reason report.label.speed report.label.to report.label.urgency
// i18n-keys: report.label.what report.title.assistance report.title.contact report.title.handover sighting.lat
// i18n-keys: sighting.lon
/** Text filled by translatePage: `<tag data-i18n="key"></tag>`. */
const w = (key: string, tag = "span", attrs = "") => `<${tag} data-i18n="${key}"${attrs ? ` ${attrs}` : ""}></${tag}>`;

/** The options of a report field: the node's codes (generated from its API), each named in the reader's language. */
function options(values: readonly string[], group: string): string {
  return values.map((v) => `<option value="${esc(v)}" data-i18n="report.${group}.${esc(v)}"></option>`).join("");
}

/** The toggle in the top bar: "Chat" and the unread count. */
export function toggleHtml(): string {
  return `${w("chat.title")} <span class="badge quiet" data-testid="chat-unread" hidden></span>`;
}

/** The new regional room form (admins): a name and the partner nations. */
function roomForm(): string {
  return `<form class="chat-room-form" data-testid="chat-room-form" hidden>
      <label>${w("chat.room_title")}<input name="title" data-testid="chat-room-title" maxlength="200" required></label>
      <label>${w("chat.room_partners")}<input name="members" data-testid="chat-room-members" required
        data-i18n-placeholder="chat.room_partners_hint"></label>
      <div class="chat-row">
        ${w("chat.cancel", "button", `type="button" class="ghost small" data-testid="chat-room-cancel"`)}
        ${w("chat.create", "button", `type="submit" class="small" data-testid="chat-room-create"`)}
      </div>
    </form>`;
}

function composer(): string {
  const langs = LANGUAGES.map((l) => `<option value="${l}" data-i18n-title="language.${l}">${l.toUpperCase()}</option>`).join("");
  // i18n-keys: language.en language.es language.fr language.nl language.ht language.pap
  return `<form class="chat-form" data-testid="chat-form">
      <textarea data-testid="chat-text" maxlength="4000" rows="2" data-i18n-placeholder="chat.placeholder"></textarea>
      <div class="chat-row">
        <select data-testid="chat-lang" data-i18n-title="chat.language">${w("chat.auto", "option", `value=""`)}${langs}</select>
        ${w("chat.send", "button", `type="submit" data-testid="chat-send"`)}
      </div>
    </form>
    <details class="chat-report-fold" data-testid="chat-report-fold">${w("chat.report", "summary")}
      <form class="chat-report-form" data-testid="chat-report-form">
        <select name="type" data-testid="report-type">
          ${w("report.title.contact", "option", `value="contact"`)}
          ${w("report.title.assistance", "option", `value="assistance"`)}
          ${w("report.title.handover", "option", `value="handover"`)}
        </select>
        <label data-for="contact handover">${w("report.label.what")}
          <select name="what" data-testid="report-what">${options(contactReportWhatValues, "what")}</select></label>
        <label data-for="contact">${w("report.label.activity")}
          <select name="activity" data-testid="report-activity">${options(contactReportActivityValues, "activity")}</select></label>
        <label data-for="assistance">${w("report.label.need")}
          <select name="need">${options(assistanceRequestNeedValues, "need")}</select></label>
        <label data-for="assistance">${w("report.label.urgency")}
          <select name="urgency">${options(assistanceRequestUrgencyValues, "urgency")}</select></label>
        <label data-for="assistance">${w("report.label.persons")}<input name="persons" type="number" min="0" max="10000"></label>
        <label data-for="handover">${w("report.label.to")}<input name="to_node" data-testid="report-to" pattern="[a-z0-9][a-z0-9_-]{0,31}"></label>
        <label data-for="handover">${w("report.label.reason")}
          <select name="reason">${options(handoverReasonValues, "reason")}</select></label>
        <div class="chat-row">
          <label>${w("sighting.lat")}<input name="lat" type="number" step="any" min="-90" max="90" required data-testid="report-lat"></label>
          <label>${w("sighting.lon")}<input name="lon" type="number" step="any" min="-180" max="180" required data-testid="report-lon"></label>
        </div>
        <div class="chat-row" data-for="contact handover">
          <label>${w("report.label.course")}<input name="course_deg" type="number" min="0" max="359.9" step="any" data-testid="report-course"></label>
          <label>${w("report.label.speed")}<input name="speed_kn" type="number" min="0" max="99" step="any" data-testid="report-speed"></label>
        </div>
        <div class="chat-row">
          ${w("chat.use_map_centre", "button", `type="button" class="ghost small" data-testid="report-centre"`)}
          ${w("chat.send", "button", `type="submit" data-testid="report-send"`)}
        </div>
      </form>
    </details>`;
}

/** The whole panel: room picker (and, for admins, a new regional room), messages, composer. */
export function panelHtml(canPost: boolean, canOpenRooms: boolean): string {
  const newRoom = canOpenRooms
    ? `<button type="button" class="ghost small" data-testid="chat-new-room" data-i18n-title="chat.new_room"
        data-i18n-aria-label="chat.new_room">+</button>`
    : "";
  return `<header class="chat-head">
      <select data-testid="chat-room" data-i18n-aria-label="chat.room"></select>
      ${newRoom}
      <button type="button" class="ghost small" data-testid="chat-close" data-i18n-aria-label="chat.close"
        data-i18n-title="chat.close">✕</button>
    </header>
    ${canOpenRooms ? roomForm() : ""}
    <p class="chat-members muted" data-testid="chat-members"></p>
    <ol class="chat-messages" data-testid="chat-messages"></ol>
    <p class="chat-error error" role="alert" data-testid="chat-error"></p>
    ${canPost ? composer() : ""}`;
}
