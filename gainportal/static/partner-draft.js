// Keeps unsaved answers in this browser tab, so a session timeout or a lost connection
// does not lose what a partner typed.
//
// The answer form carries data-draft-key (the request id) and data-draft-version (a number
// that grows whenever the server copy of the draft changes). Each answer box is mirrored
// to sessionStorage together with the version it was typed on. On load, a stored value is
// put back only if it was typed on the version the server still has (so it is newer than
// the server copy) and the box does not already show it. A page carrying
// data-draft-clear="<request id>" (the response was sent) removes the stored copy.
// sessionStorage lasts only as long as the tab and is never sent to the server.

const PREFIX = 'gainportal:partner-draft:'

function storage () {
  try {
    const probe = PREFIX + 'probe'
    window.sessionStorage.setItem(probe, '1')
    window.sessionStorage.removeItem(probe)
    return window.sessionStorage
  } catch (error) {
    return null // storage switched off or full: the server draft still works
  }
}

function read (store, key) {
  try {
    const value = JSON.parse(store.getItem(key) || '{}')
    return value && typeof value === 'object' ? value : {}
  } catch (error) {
    return {}
  }
}

function write (store, key, value) {
  try {
    store.setItem(key, JSON.stringify(value))
  } catch (error) {
    // Quota exceeded: keep going, the server draft is the real copy.
  }
}

function restoreNotice (form, count) {
  const notice = document.createElement('div')
  notice.className = 'govuk-inset-text'
  notice.setAttribute('role', 'status')
  notice.textContent = count === 1
    ? 'We put back an answer you typed that had not been saved. Check it, then save your answers.'
    : `We put back ${count} answers you typed that had not been saved. Check them, then save your answers.`
  form.insertBefore(notice, form.firstChild)
}

function start () {
  const store = storage()
  if (!store) return

  document.querySelectorAll('[data-draft-clear]').forEach((el) => {
    store.removeItem(PREFIX + el.getAttribute('data-draft-clear'))
  })

  const form = document.querySelector('form[data-draft-key]')
  if (!form) return
  const key = PREFIX + form.getAttribute('data-draft-key')
  const version = Number(form.getAttribute('data-draft-version')) || 0
  const saved = read(store, key)
  const fields = form.querySelectorAll('textarea[data-draft-field]')

  let restored = 0
  fields.forEach((field) => {
    const entry = saved[field.name]
    if (!entry || typeof entry.value !== 'string') return
    if (Number(entry.base) >= version && entry.value !== field.value && entry.value.trim() !== '') {
      field.value = entry.value
      restored += 1
    }
  })
  if (restored) restoreNotice(form, restored)

  // Start again from what is on screen, typed on the server's current version.
  const current = {}
  fields.forEach((field) => { current[field.name] = { value: field.value, base: version } })
  write(store, key, current)

  form.addEventListener('input', (event) => {
    const field = event.target
    if (!(field instanceof HTMLTextAreaElement) || !field.hasAttribute('data-draft-field')) return
    current[field.name] = { value: field.value, base: version }
    write(store, key, current)
  })
}

start()
