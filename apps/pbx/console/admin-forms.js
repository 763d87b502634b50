// Form helpers shared by the administrator's plan, trunk and billing pages: labelled fields,
// a form whose API errors show inline (the message and each bad field or CSV line, never an
// alert), an inline two-step delete, and tables that keep every column on a phone screen.
import { el } from './dom.js';
import { state } from './state.js';

/** A labelled input; `opts` are the input's attributes (id, type, required, value…). */
export function field(label, opts = {}, hint) {
  const { tag = 'input', options, ...attrs } = opts;
  const input =
    tag === 'select'
      ? el(
          'select',
          attrs,
          options.map(([value, text]) =>
            el('option', { value, selected: String(opts.value) === value }, text),
          ),
        )
      : tag === 'textarea'
        ? el('textarea', { ...attrs, value: undefined }, attrs.value ?? '')
        : el('input', attrs);
  if (tag === 'select' && opts.value !== undefined) input.value = String(opts.value);
  return el(
    'label',
    { className: attrs.type === 'checkbox' ? 'check' : '' },
    label,
    input,
    hint ? el('small', { className: 'muted' }, hint) : null,
  );
}

/** The inline error area of a form: the API's message and one line per bad field. */
export function errorBox(id) {
  return el('div', { id, className: 'error form-error', role: 'alert', 'aria-live': 'polite' });
}

/** Shows `err` (from `api()`) in the error box `box`: each bad field or CSV line, or the message. */
export function showError(box, err) {
  const issues = err.issues || [];
  box.replaceChildren(
    issues.length === 0
      ? el('p', {}, err.message)
      : el('p', {}, issues.length === 1 ? 'Not saved:' : `Not saved, ${issues.length} problems:`),
    issues.length
      ? el(
          'ul',
          { className: 'issues' },
          issues.map((i) => el('li', { 'data-path': i.path }, `${i.path}: ${i.message}`)),
        )
      : null,
  );
}

/**
 * A form that runs `submit(form)` (an async API call) on submit, with the browser's own checks
 * of required fields first; a failure is shown in the form's error box, a success redraws the
 * page (the lists come from the API again) unless `submit` returns false.
 */
export function apiForm(id, children, submit) {
  const box = errorBox(`${id}-error`);
  const form = el(
    'form',
    {
      id,
      className: 'admin-form',
      onsubmit: async (e) => {
        e.preventDefault();
        box.replaceChildren();
        const button = form.querySelector('button[type="submit"]');
        if (button) button.disabled = true;
        try {
          const keep = await submit(form);
          if (keep !== false) await state.render();
        } catch (err) {
          showError(box, err);
        } finally {
          if (button) button.disabled = false;
        }
      },
    },
    children,
    box,
  );
  return form;
}

/** A value of the form's control `name`, trimmed. */
export const val = (form, name) => String(form.elements[name]?.value ?? '').trim();
/** A comma- or space-separated list from the control `name`. */
export const list = (form, name) =>
  val(form, name)
    .split(/[\s,]+/)
    .filter((s) => s !== '');

/**
 * A delete button that asks inline first ("Remove 500?" with Confirm / Cancel), then runs
 * `remove()` (false when it moved to another page) and redraws; errors go to `box`.
 */
export function confirmButton(id, label, question, remove, box) {
  const cell = el('span', { className: 'confirm' });
  const ask = el(
    'button',
    { type: 'button', className: 'secondary', id, 'aria-label': question.replace(/\?$/, '') },
    label,
  );
  const reset = () => {
    cell.replaceChildren(ask);
    ask.focus();
  };
  ask.addEventListener('click', () => {
    const yes = el(
      'button',
      {
        type: 'button',
        className: 'danger',
        id: `${id}-confirm`,
        onclick: async () => {
          try {
            // false: remove() moved to another page, which draws itself.
            if ((await remove()) !== false) await state.render();
          } catch (err) {
            showError(box, err);
            reset();
          }
        },
      },
      'Confirm',
    );
    cell.replaceChildren(
      el('span', {}, question, ' '),
      yes,
      el('button', { type: 'button', className: 'secondary', onclick: reset }, 'Cancel'),
    );
    yes.focus();
  });
  cell.append(ask);
  return cell;
}

/**
 * A table that keeps every column on a phone: there each row becomes a card whose cells are
 * labelled with their column's heading (`data-label`, see style.css).
 */
export function adminTable(id, heads, rows) {
  for (const row of rows)
    [...row.children].forEach((td, i) => td.setAttribute('data-label', heads[i] ?? ''));
  return el(
    'div',
    { className: 'table-scroll' },
    el(
      'table',
      { id, className: 'admin-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          heads.map((h) => el('th', { scope: 'col' }, h)),
        ),
      ),
      el('tbody', {}, rows),
    ),
  );
}
