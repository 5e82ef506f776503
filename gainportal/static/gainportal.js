// Starts the GOV.UK Frontend components (password reveal, error summary focus, etc.).
import { initAll } from './govuk/govuk-frontend.min.js'
initAll()

// Signing out clears any answers mirrored in this tab (see partner-draft.js).
for (const form of document.querySelectorAll('form[action$="/sign-out"]')) {
  form.addEventListener('submit', () => { try { window.sessionStorage.clear() } catch (e) {} })
}
