// MedCodes: results as you type. The page works without this script (the form submits to /search,
// rendered on the server); the script only adds live suggestions to a form marked data-live.
// Pattern: WAI-ARIA Authoring Practices "Combobox with listbox popup" (https://www.w3.org/WAI/ARIA/apg/patterns/combobox/):
// the input keeps focus, aria-activedescendant names the highlighted option, arrows move, Enter opens, Escape closes.
(() => {
  var DEBOUNCE_MS = 60;
  var LIMIT = 10;
  var CLAIM_SETS = { icd10cm: 1, icd10pcs: 1, hcpcs: 1, cpt: 1, cdt: 1 };

  function decode(text) {
    return text.replace(/&(amp|lt|gt|quot|#39);/g, (_, e) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]);
  }

  // The API's `highlight` is the title, HTML-escaped, with <mark> around matched words. Build nodes
  // from it rather than assigning innerHTML, so nothing from the network is ever parsed as markup.
  function highlighted(text) {
    var frag = document.createDocumentFragment();
    var parts = text.split(/(<mark>|<\/mark>)/);
    var inMark = false;
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i];
      if (p === '<mark>') inMark = true;
      else if (p === '</mark>') inMark = false;
      else if (p) {
        var t = document.createTextNode(decode(p));
        if (inMark) {
          var m = document.createElement('mark');
          m.appendChild(t);
          frag.appendChild(m);
        } else frag.appendChild(t);
      }
    }
    return frag;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function codeHref(hit) {
    return '/codes/' + hit.system + '/' + encodeURIComponent(hit.code);
  }

  function matchedText(hit) {
    var m = hit.matched || {};
    if (!m.field || m.field === 'title' || m.field === 'code') return '';
    var label = { synonym: 'matched index term', rewrite: 'matched', fuzzy: 'similar spelling' }[m.field] || 'matched';
    return label + (m.term ? ': ' + m.term : '');
  }

  function enhance(form) {
    var input = form.querySelector('input[name="q"]');
    var list = form.querySelector('[role="listbox"]');
    var status = form.querySelector('[data-live-status]');
    var labels = JSON.parse(form.getAttribute('data-labels') || '{}');
    if (!input || !list) return;
    var timer = 0;
    var controller = null;
    var seq = 0;
    var active = -1;
    var options = [];

    function selectedSystems() {
      var boxes = form.querySelectorAll('input[name="system"]:checked');
      var out = [];
      for (var i = 0; i < boxes.length; i++) out.push(boxes[i].value);
      return out;
    }

    function setActive(i) {
      if (active >= 0 && options[active]) options[active].setAttribute('aria-selected', 'false');
      active = i;
      if (i >= 0 && options[i]) {
        options[i].setAttribute('aria-selected', 'true');
        input.setAttribute('aria-activedescendant', options[i].id);
        options[i].scrollIntoView({ block: 'nearest' });
      } else input.removeAttribute('aria-activedescendant');
    }

    function close() {
      list.hidden = true;
      input.setAttribute('aria-expanded', 'false');
      setActive(-1);
    }

    function render(data, q) {
      list.textContent = '';
      options = [];
      active = -1;
      var hits = data.results.length ? data.results : data.closest || [];
      hits.forEach((hit, i) => {
        var li = el('li', 'option');
        li.id = 'suggestion-' + i;
        li.setAttribute('role', 'option');
        li.setAttribute('aria-selected', 'false');
        var a = el('a');
        a.href = codeHref(hit);
        a.tabIndex = -1;
        a.appendChild(el('span', 'code', hit.code));
        a.appendChild(document.createTextNode(' '));
        a.appendChild(el('span', 'badge', labels[hit.system] || hit.system));
        a.appendChild(document.createTextNode(' '));
        a.appendChild(highlighted(hit.highlight));
        // The same marks as the results page (pages.ts billMark): only claim code sets have them.
        if (CLAIM_SETS[hit.system] && hit.status !== 'deleted') {
          a.appendChild(document.createTextNode(' '));
          a.appendChild(hit.billable ? el('span', 'bill', 'billable') : el('span', 'muted', '(header)'));
        }
        if (hit.status === 'deleted') a.appendChild(el('span', 'deleted', ' deleted'));
        var why = matchedText(hit);
        if (why) {
          a.appendChild(el('br'));
          a.appendChild(el('span', 'why muted', why));
        }
        li.appendChild(a);
        li.addEventListener('mousedown', (ev) => {
          ev.preventDefault(); // keep focus in the input until the link is followed
        });
        li.addEventListener('click', () => {
          location.href = a.href;
        });
        list.appendChild(li);
        options.push(li);
      });
      var more = el('li', 'more');
      more.setAttribute('role', 'option');
      more.id = 'suggestion-all';
      more.setAttribute('aria-selected', 'false');
      var all = el(
        'a',
        null,
        data.total
          ? 'All ' + data.total.toLocaleString('en-US') + ' results for “' + q + '”'
          : 'No codes match “' + q + '”' + (hits.length ? '; closest codes above' : ''),
      );
      all.href = searchHref(q);
      all.tabIndex = -1;
      more.appendChild(all);
      more.addEventListener('mousedown', (ev) => {
        ev.preventDefault();
      });
      more.addEventListener('click', () => {
        location.href = all.href;
      });
      list.appendChild(more);
      options.push(more);
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      if (status) status.textContent = data.total ? data.total + ' results; use the arrow keys to choose' : 'no results';
    }

    function searchHref(q) {
      var params = new URLSearchParams();
      params.set('q', q);
      selectedSystems().forEach((s) => {
        params.append('system', s);
      });
      return '/search?' + params.toString();
    }

    function run() {
      var q = input.value.trim();
      if (controller) controller.abort(); // a newer keystroke supersedes the request in flight
      if (!q) {
        close();
        list.textContent = '';
        return;
      }
      controller = typeof AbortController === 'function' ? new AbortController() : null;
      var mine = ++seq;
      var url = '/api/v1/search?limit=' + LIMIT + '&q=' + encodeURIComponent(q);
      var systems = selectedSystems();
      if (systems.length) url += '&system=' + encodeURIComponent(systems.join(','));
      fetch(url, { signal: controller ? controller.signal : undefined, headers: { accept: 'application/json' } })
        .then((r) =>
          r.ok
            ? r.json()
            : r.json().then((e) => {
                throw new Error((e && e.error && e.error.message) || 'search failed');
              }),
        )
        .then((data) => {
          if (mine === seq) render(data, q);
        })
        .catch((err) => {
          if (err && err.name === 'AbortError') return;
          if (mine !== seq) return;
          list.textContent = '';
          var li = el('li', 'more', err && err.message ? err.message : 'Search failed');
          list.appendChild(li);
          list.hidden = false;
          options = [];
        });
    }

    input.setAttribute('role', 'combobox');
    input.setAttribute('aria-autocomplete', 'list');
    input.setAttribute('aria-expanded', 'false');
    input.setAttribute('aria-controls', list.id);

    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(run, DEBOUNCE_MS);
    });
    form.addEventListener('change', (ev) => {
      if (ev.target && ev.target.name === 'system' && input.value.trim()) run();
    });
    input.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowDown') {
        if (list.hidden && input.value.trim()) {
          run();
          return;
        }
        ev.preventDefault();
        setActive(options.length ? (active + 1) % options.length : -1);
      } else if (ev.key === 'ArrowUp') {
        ev.preventDefault();
        setActive(options.length ? (active <= 0 ? options.length - 1 : active - 1) : -1);
      } else if (ev.key === 'Enter') {
        if (active >= 0 && options[active]) {
          ev.preventDefault();
          location.href = options[active].querySelector('a').href;
        }
        // else: the form submits to the server-rendered results page
      } else if (ev.key === 'Escape') {
        if (!list.hidden) {
          ev.preventDefault();
          close();
        }
      }
    });
    input.addEventListener('blur', () => {
      setTimeout(close, 150);
    });
    input.addEventListener('focus', () => {
      if (options.length && input.value.trim()) {
        list.hidden = false;
        input.setAttribute('aria-expanded', 'true');
      }
    });
    // A query already in the box (back button, /?q=) shows its suggestions at once.
    if (input.value.trim() && document.activeElement === input) run();
  }

  function init() {
    var forms = document.querySelectorAll('form[data-live]');
    for (var i = 0; i < forms.length; i++) enhance(forms[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
})();
