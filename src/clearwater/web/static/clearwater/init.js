// Progressive enhancement only: every page works without JavaScript.
import { initAll } from '../nhsuk/nhsuk-frontend.min.js'

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported')
initAll()
// Move focus to the error summary when a form comes back with errors.
const summary = document.querySelector('.nhsuk-error-summary')
if (summary) summary.focus()
