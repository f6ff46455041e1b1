// The `1>` prompt's line editor: the text being typed, its cursor, history and Tab completion,
// and how the line lays out in the window. Pure JavaScript with no DOM, so node tests it alone.
//
// Invariants: `chars` holds one code point per element; 0 <= cursor <= chars.length.
// `browsing` is the history index shown (entries.length = the draft); any edit ends browsing.
(function (root) {
  'use strict';

  const HISTORY_MAX = 500;

  function commonPrefix(words) {
    let p = words[0];
    for (const w of words) {
      let i = 0;
      while (i < p.length && i < w.length && p[i].toLowerCase() === w[i].toLowerCase()) i++;
      p = p.slice(0, i);
    }
    return p;
  }

  class LineEditor {
    constructor(options = {}) {
      this.commands = options.commands || [];
      this.historyMax = options.historyMax || HISTORY_MAX;
      this.entries = (options.history || []).slice(-this.historyMax);
      this.secret = false; // echo off (password): nothing shown, nothing kept in history
      this.chars = [];
      this.cursor = 0;
      this.browsing = this.entries.length;
      this.draft = null;
      this.prefix = '';
      this.completion = null;
    }

    get text() { return this.chars.join(''); }

    set(text) {
      this.chars = Array.from(text);
      this.cursor = this.chars.length;
    }

    edited() {
      this.browsing = this.entries.length;
      this.draft = null;
      this.completion = null;
    }

    insert(s) {
      const add = Array.from(s.replace(/[\x00-\x1f\x7f]/g, ''));
      if (!add.length) return false;
      this.chars.splice(this.cursor, 0, ...add);
      this.cursor += add.length;
      this.edited();
      return true;
    }

    left() { if (this.cursor === 0) return false; this.cursor--; this.completion = null; return true; }
    right() { if (this.cursor === this.chars.length) return false; this.cursor++; this.completion = null; return true; }
    home() { this.cursor = 0; this.completion = null; return true; }
    end() { this.cursor = this.chars.length; this.completion = null; return true; }

    backspace() {
      if (this.cursor === 0) return false;
      this.chars.splice(--this.cursor, 1);
      this.edited();
      return true;
    }

    del() {
      if (this.cursor === this.chars.length) return false;
      this.chars.splice(this.cursor, 1);
      this.edited();
      return true;
    }

    // Ctrl-X, as in the AmigaShell: the whole line goes, wherever the cursor is.
    eraseLine() {
      const had = this.chars.length > 0;
      this.chars = [];
      this.cursor = 0;
      this.edited();
      return had;
    }

    eraseWordBack() {
      let i = this.cursor;
      while (i > 0 && this.chars[i - 1] === ' ') i--;
      while (i > 0 && this.chars[i - 1] !== ' ') i--;
      if (i === this.cursor) return false;
      this.chars.splice(i, this.cursor - i);
      this.cursor = i;
      this.edited();
      return true;
    }

    // Up: the previous entry starting with what was typed before browsing began (prefix search).
    historyUp() {
      if (this.secret) return false;
      if (this.draft === null) { this.draft = this.text; this.prefix = this.draft; }
      for (let i = this.browsing - 1; i >= 0; i--) {
        const e = this.entries[i];
        if (e.startsWith(this.prefix) && e !== this.text) {
          this.browsing = i;
          this.set(e);
          return true;
        }
      }
      return false;
    }

    historyDown() {
      if (this.draft === null) return false;
      for (let i = this.browsing + 1; i < this.entries.length; i++) {
        const e = this.entries[i];
        if (e.startsWith(this.prefix) && e !== this.text) {
          this.browsing = i;
          this.set(e);
          return true;
        }
      }
      this.browsing = this.entries.length;
      this.set(this.draft);
      this.draft = null;
      return true;
    }

    // Enter: returns the line and starts an empty one. Password lines never enter history.
    submit() {
      const line = this.text;
      if (!this.secret && line.trim() !== '' && this.entries[this.entries.length - 1] !== line) {
        this.entries.push(line);
        if (this.entries.length > this.historyMax) this.entries.shift();
      }
      this.chars = [];
      this.cursor = 0;
      this.edited();
      return line;
    }

    // Tab: the word before the cursor completes against the commands (first word, or the word
    // after `help`) or the names. One match is taken with a space after it; several first extend
    // to their common prefix, then each further Tab cycles through them.
    complete(names = []) {
      if (this.secret) return false;
      const c = this.completion;
      if (c) {
        c.index = (c.index + 1) % c.matches.length;
        this.replaceWord(c.start, c.end, c.matches[c.index]);
        c.end = c.start + Array.from(c.matches[c.index]).length;
        return true;
      }
      let start = this.cursor;
      while (start > 0 && this.chars[start - 1] !== ' ') start--;
      const word = this.chars.slice(start, this.cursor).join('');
      const before = this.chars.slice(0, start).join('').trim().split(/\s+/).filter(Boolean);
      const pool = before.length === 0 ? this.commands
        : (before.length === 1 && before[0].toLowerCase() === 'help' ? this.commands : names);
      const low = word.toLowerCase();
      const matches = [...new Set(pool.filter((p) => p.toLowerCase().startsWith(low) && p.length > 0))]
        .sort((a, b) => a.localeCompare(b));
      if (matches.length === 0) return false;
      if (matches.length === 1) {
        const next = this.chars[this.cursor];
        this.replaceWord(start, this.cursor, matches[0] + (next === ' ' ? '' : ' '));
        if (next === ' ') this.cursor++;
        this.completion = null;
        return true;
      }
      const lcp = commonPrefix(matches);
      let index = -1;
      let text = lcp;
      if (lcp.length <= word.length) { index = 0; text = matches[0]; }
      this.replaceWord(start, this.cursor, text);
      this.completion = { start, end: start + Array.from(text).length, matches, index };
      return true;
    }

    replaceWord(start, end, text) {
      const add = Array.from(text);
      this.chars.splice(start, end - start, ...add);
      this.cursor = start + add.length;
      this.browsing = this.entries.length;
      this.draft = null;
    }

    // The line as the window shows it: the first row has `first` cells left after the prompt,
    // the others `width`. Rows break after the last space that fits (word wrap), else at the
    // edge. Every character belongs to exactly one row, so the cursor maps to (row, col); a
    // cursor just past a full last row starts a row of its own.
    layout(first, width) {
      if (this.secret) return { rows: [''], cursorRow: 0, cursorCol: 0 };
      width = Math.max(1, width);
      first = Math.max(0, Math.min(first, width));
      const chars = this.chars;
      const starts = [];
      let i = 0;
      let row = 0;
      do {
        starts.push(i);
        const cap = row === 0 ? first : width;
        if (chars.length - i <= cap) { i = chars.length; break; }
        let brk = i + cap;
        for (let j = i + cap - 1; j > i; j--) {
          if (chars[j] === ' ') { brk = j + 1; break; }
        }
        i = brk;
        row++;
      } while (i < chars.length);
      const rows = starts.map((s, r) => chars.slice(s, r + 1 < starts.length ? starts[r + 1] : chars.length).join(''));
      let cursorRow = 0;
      for (let r = 0; r < starts.length; r++) if (starts[r] <= this.cursor) cursorRow = r;
      let cursorCol = this.cursor - starts[cursorRow];
      const cap = cursorRow === 0 ? first : width;
      if (cursorCol >= cap && cursorRow === rows.length - 1) {
        rows.push('');
        cursorRow++;
        cursorCol = 0;
      }
      return { rows, cursorRow, cursorCol };
    }

    // A DOM KeyboardEvent (or any {key, ctrlKey, altKey, metaKey}) to an edit. Returns
    // 'submit', 'edit' (redraw), 'complete', 'handled' (nothing changed) or null (not ours:
    // printable keys arrive through the input event instead).
    key(ev, names) {
      const k = ev.key;
      if (ev.ctrlKey && !ev.altKey && !ev.metaKey) {
        switch (k.toLowerCase()) {
          case 'x': case 'u': this.eraseLine(); return 'edit';
          case 'a': this.home(); return 'edit';
          case 'e': case 'z': this.end(); return 'edit';
          case 'w': this.eraseWordBack(); return 'edit';
          case 'h': this.backspace(); return 'edit';
          case 'p': this.historyUp(); return 'edit';
          case 'n': this.historyDown(); return 'edit';
          default: break;
        }
      }
      if (ev.altKey || ev.metaKey || ev.ctrlKey) {
        if (k === 'Backspace' && ev.ctrlKey) { this.eraseWordBack(); return 'edit'; }
        return null;
      }
      switch (k) {
        case 'Enter': return 'submit';
        case 'ArrowLeft': this.left(); return 'edit';
        case 'ArrowRight': this.right(); return 'edit';
        case 'Home': this.home(); return 'edit';
        case 'End': this.end(); return 'edit';
        case 'Backspace': this.backspace(); return 'edit';
        case 'Delete': this.del(); return 'edit';
        case 'ArrowUp': this.historyUp(); return 'edit';
        case 'ArrowDown': this.historyDown(); return 'edit';
        case 'Tab': this.complete(names || []); return 'edit';
        default: return null;
      }
    }
  }

  if (typeof module !== 'undefined' && module.exports) module.exports = { LineEditor };
  else root.LineEditor = LineEditor;
})(this);
