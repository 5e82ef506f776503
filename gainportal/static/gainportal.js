// Starts the GOV.UK Frontend components (password reveal, error summary focus, etc.).
import { initAll } from './govuk/govuk-frontend.min.js'
initAll()
