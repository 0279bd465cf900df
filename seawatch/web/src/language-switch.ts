// The language switch: every `select.language-select` (sign-in screen, top bar) lists the six languages
// by their own names and follows the current language; a choice switches the page at once.
import { LANGUAGES, language, onLanguageChange, setLanguage, t } from "./i18n";

export function wireLanguageSwitches(onPick: (lang: string) => void): void {
  const selects = [...document.querySelectorAll<HTMLSelectElement>("select.language-select")];
  for (const select of selects) {
    select.replaceChildren(...LANGUAGES.map((lang) => {
      const option = document.createElement("option");
      option.value = lang;
      option.lang = lang;
      option.textContent = t(`language.${lang}`);
      return option;
    }));
    select.value = language();
    select.onchange = () => {
      void setLanguage(select.value).then(() => onPick(select.value));
    };
  }
  onLanguageChange((lang) => {
    for (const select of selects) select.value = lang;
  });
}
