// Word wrap for the server's output, and the column the text ends at (where the prompt stops
// and the typed line begins). Pure JavaScript: node tests it alone.
//
// A word that would cross the right edge moves to the next row; a space that falls on the edge
// becomes the line break. A word longer than a row is broken at the edge. Escape sequences pass
// through whole (one split across frames waits in `carry`) and take no columns.
// Invariant: 0 <= col <= cols, as in xterm, where col == cols means "wrap pending".
(function (root) {
  'use strict';

  const LINE_KEEP = 4096;

  class WordWrap {
    constructor(cols) {
      this.cols = cols;
      this.col = 0;
      this.line = ''; // what was written since the last line break (the prompt, say)
      this.carry = '';
      this.prompt = null; // the prompt the current line holds (set on Core.Prompt), or null
    }

    // The current line is a prompt (the server said so with GMCP Core.Prompt).
    markPrompt() { if (this.col > 0) this.prompt = this.line; }

    // One frame of output: returns what to write to the terminal. A word still open at the end
    // of the frame is written as it stands (the prompt must show at once).
    // Output that arrives while a prompt waits for input goes on a line of its own, and when it
    // ends with a line break the prompt is shown again below it, as a CLI would.
    push(text) {
      const prompt = this.prompt;
      this.prompt = null;
      if (prompt !== null && this.line === prompt && text) {
        let out = this.push((/^[\r\n]/.test(text) ? '' : '\r\n') + text);
        if (this.col === 0 && !this.carry) {
          out += this.push(prompt);
          this.prompt = prompt;
        }
        return out;
      }
      const s = this.carry + text;
      this.carry = '';
      const cols = this.cols;
      let out = '';
      let word = '';
      let wordLen = 0;
      const emit = (t) => {
        out += t;
        this.line += t;
        if (this.line.length > LINE_KEEP) this.line = this.line.slice(-LINE_KEEP);
      };
      const flush = () => {
        if (!word) return;
        emit(word);
        this.col += wordLen;
        if (this.col > cols) this.col = ((this.col - 1) % cols) + 1;
        word = '';
        wordLen = 0;
      };
      const newline = () => {
        out += '\r\n';
        this.line = '';
        this.col = 0;
      };
      let i = 0;
      while (i < s.length) {
        const c = s[i];
        if (c === '\x1b') {
          const n = escapeLength(s, i);
          if (n === 0) { this.carry = s.slice(i); break; }
          const seq = s.slice(i, i + n);
          if (wordLen) word += seq; else emit(seq);
          i += n;
          continue;
        }
        const cp = s.codePointAt(i);
        const ch = String.fromCodePoint(cp);
        i += ch.length;
        if (c === '\r') { flush(); out += '\r'; this.col = 0; continue; }
        if (c === '\n') { flush(); out += '\n'; this.line = ''; this.col = 0; continue; }
        if (c === ' ') {
          flush();
          if (this.col >= cols) newline(); else { emit(' '); this.col++; }
          continue;
        }
        if (c === '\t') { flush(); emit(c); this.col = Math.min(cols, (Math.floor(this.col / 8) + 1) * 8); continue; }
        if (c === '\b') { flush(); emit(c); this.col = Math.max(0, this.col - 1); continue; }
        if (cp < 0x20 || cp === 0x7f) { flush(); out += ch; continue; }
        word += ch;
        wordLen++;
        if (this.col + wordLen > cols) {
          if (this.col > 0 && wordLen <= cols) newline();
          else if (wordLen > cols) {
            // Longer than a row: the part that fills the row stays; the rest starts anew.
            const last = word.slice(-ch.length);
            word = word.slice(0, -ch.length);
            wordLen--;
            flush();
            newline();
            word = last;
            wordLen = 1;
          }
        }
      }
      flush();
      return out;
    }

    // Text the page writes itself (the echo of a typed line, a status line) moves the column.
    wrote(text) {
      for (const ch of text) {
        if (ch === '\r' || ch === '\n') { this.col = 0; this.line = ''; this.prompt = null; } else if (ch >= ' ') this.col = Math.min(this.cols, this.col + 1);
      }
    }
  }

  // Length of the escape sequence at s[i] (ESC), or 0 when it is not complete yet.
  function escapeLength(s, i) {
    if (i + 1 >= s.length) return 0;
    const k = s[i + 1];
    if (k === '[') {
      for (let j = i + 2; j < s.length; j++) {
        const c = s.charCodeAt(j);
        if (c >= 0x40 && c <= 0x7e) return j - i + 1;
        if (j - i > 64) return j - i + 1; // malformed: give up on it rather than wait forever
      }
      return 0;
    }
    if (k === ']' || k === 'P' || k === '_' || k === '^') {
      for (let j = i + 2; j < s.length; j++) {
        if (s[j] === '\x07') return j - i + 1;
        if (s[j] === '\x1b' && j + 1 < s.length && s[j + 1] === '\\') return j - i + 2;
        if (j - i > 4096) return j - i + 1;
      }
      return 0;
    }
    return 2;
  }

  if (typeof module !== 'undefined' && module.exports) module.exports = { WordWrap };
  else root.WordWrap = WordWrap;
})(this);
