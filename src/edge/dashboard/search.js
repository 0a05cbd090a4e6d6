// The search box in the header: GET v1/search?q= (symbol, name, name word or address prefix,
// ranked by 24 h volume; docs/http-api.md) as the user types, debounced, the answer shown as a
// listbox of links to token pages. ARIA combobox pattern: the input keeps focus, arrow keys
// move the active option (aria-activedescendant), Enter opens it (or the first), Escape closes.
//
// One request at a time: a newer query aborts the older one, and an answer is shown only if it
// is for what the box says now, so fast typing never shows a stale list.

import * as fmt from './format.js'
import { el } from './dom.js'

const DEBOUNCE_MS = 150
const LIMIT = 10

/**
 * @param form the header's <form role="search"> holding #search-input and #search-results
 * @param ctx {searchUrl(q, limit), tokenHref(chain, token)}
 */
export function mountSearch (form, ctx) {
  const input = form.querySelector('#search-input')
  const list = form.querySelector('#search-results')
  let timer = null
  let inflight = null
  let items = []
  let active = -1
  let shownFor = null

  function close () {
    list.hidden = true
    input.setAttribute('aria-expanded', 'false')
    input.removeAttribute('aria-activedescendant')
    active = -1
  }

  function open () {
    list.hidden = false
    input.setAttribute('aria-expanded', 'true')
  }

  function setActive (i) {
    active = i
    for (const [j, li] of [...list.children].entries()) li.setAttribute('aria-selected', String(j === i))
    if (i < 0) input.removeAttribute('aria-activedescendant')
    else {
      input.setAttribute('aria-activedescendant', list.children[i].id)
      list.children[i].scrollIntoView({ block: 'nearest' })
    }
  }

  function render (q, found) {
    items = found
    shownFor = q
    active = -1
    if (found.length === 0) {
      list.replaceChildren(el('li', { class: 'none', role: 'option', 'aria-disabled': 'true', id: 'search-none' }, `No token matches "${q}"`))
      open()
      return
    }
    list.replaceChildren(...found.map((t, i) => el('li', { role: 'option', id: 'search-opt-' + i, 'aria-selected': 'false', 'data-key': t.chain + ':' + t.token }, [
      el('a', { href: ctx.tokenHref(t.chain, t.token), tabindex: '-1', onclick: close }, [
        el('span', { class: 'sym' + (t.symbol === null ? ' addr' : '') }, fmt.tokenLabel({ token: t.token, symbol: t.symbol ?? undefined })),
        t.name === null ? null : el('span', { class: 'name' }, t.name),
        el('span', { class: 'chain chain-' + t.chain.replace(/[^a-z0-9]/gi, '') }, t.chain),
        el('span', { class: 'addr muted' }, fmt.shortToken(t.token)),
        el('span', { class: 'vol muted', title: '24 h USD volume' }, t.volumeUsd === null ? '' : fmt.usd(t.volumeUsd))
      ])
    ])))
    open()
  }

  async function run (q) {
    inflight?.abort()
    const ac = new AbortController()
    inflight = ac
    try {
      const res = await fetch(ctx.searchUrl(q, LIMIT), { signal: ac.signal })
      const body = await res.json()
      if (input.value.trim() !== q) return
      if (!res.ok) throw new Error(body?.error?.message ?? `HTTP ${res.status}`)
      render(q, body.items)
    } catch (err) {
      if (ac.signal.aborted || input.value.trim() !== q) return
      list.replaceChildren(el('li', { class: 'none', role: 'option', 'aria-disabled': 'true', id: 'search-none' }, 'Search failed: ' + err.message))
      items = []
      open()
    } finally {
      if (inflight === ac) inflight = null
    }
  }

  function go (i) {
    const t = items[i]
    if (t === undefined) return
    close()
    input.value = ''
    input.blur()
    location.hash = ctx.tokenHref(t.chain, t.token)
  }

  input.addEventListener('input', () => {
    clearTimeout(timer)
    const q = input.value.trim()
    if (q === '') { inflight?.abort(); close(); items = []; shownFor = null; return }
    timer = setTimeout(() => { void run(q) }, DEBOUNCE_MS)
  })

  input.addEventListener('keydown', e => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (items.length === 0) return
      e.preventDefault()
      if (list.hidden) open()
      const n = items.length
      setActive(e.key === 'ArrowDown' ? (active + 1) % n : (active - 1 + n) % n)
    } else if (e.key === 'Enter') {
      e.preventDefault()
      // Enter before the debounced request answered: search now, then open the first match
      const q = input.value.trim()
      if (q !== '' && shownFor !== q) { clearTimeout(timer); void run(q).then(() => { if (shownFor === q) go(0) }); return }
      go(active < 0 ? 0 : active)
    } else if (e.key === 'Escape') {
      close()
    }
  })

  input.addEventListener('focus', () => { if (items.length > 0 && input.value.trim() === shownFor) open() })
  // pressing on an option must not blur the input (the blur would close the list before the
  // click lands on the link)
  list.addEventListener('mousedown', e => e.preventDefault())
  input.addEventListener('blur', close)
  form.addEventListener('submit', e => e.preventDefault())
  window.addEventListener('hashchange', close)
}
