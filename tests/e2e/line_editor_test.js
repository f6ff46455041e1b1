// The browser terminal's line editor and output word wrap, in node without a browser:
// cursor keys, Backspace/Delete, Ctrl-X, history, Tab completion, layout, wrapping.
// Usage: node line_editor_test.js <apps/weft-mud/web>
'use strict';
const assert = require('node:assert/strict');
const path = require('node:path');
const { test } = require('node:test');

const web = path.resolve(process.argv[2] || path.join(__dirname, '../../apps/weft-mud/web'));
const { LineEditor } = require(path.join(web, 'line_editor.js'));
const { WordWrap } = require(path.join(web, 'wrap.js'));

const key = (ed, k, mods = {}, names) => ed.key({ key: k, ctrlKey: false, altKey: false, metaKey: false, ...mods }, names);
const type = (ed, s) => ed.insert(s);
const state = (ed) => ed.text.slice(0, ed.cursor) + '|' + ed.text.slice(ed.cursor);
// Each step: a key name (or ['type', text]), then the line with its cursor expected after it.
const steps = (ed, list) => {
  for (const [k, want, msg] of list) {
    if (Array.isArray(k)) type(ed, k[1]); else key(ed, k);
    assert.equal(state(ed), want, msg || `after ${k}`);
  }
};

test('cursor keys, Home/End move within the line; inserts land at the cursor', () => {
  const ed = new LineEditor();
  type(ed, 'say hllo');
  assert.equal(state(ed), 'say hllo|');
  for (let i = 0; i < 3; i++) key(ed, 'ArrowLeft');
  steps(ed, [
    ['ArrowRight', 'say hl|lo'], ['ArrowLeft', 'say h|llo'], [['type', 'e'], 'say he|llo'],
    ['Home', '|say hello'], ['ArrowLeft', '|say hello', 'left stops at the start'],
  ]);
  key(ed, 'End');
  key(ed, 'ArrowRight');
  assert.equal(state(ed), 'say hello|', 'right stops at the end');
  key(ed, 'a', { ctrlKey: true });
  assert.equal(state(ed), '|say hello', 'Ctrl-A is Home');
  key(ed, 'e', { ctrlKey: true });
  assert.equal(state(ed), 'say hello|', 'Ctrl-E is End');
});

test('Backspace removes before the cursor, Delete under it; both stop at the ends', () => {
  const ed = new LineEditor();
  type(ed, 'loook');
  steps(ed, [
    ['Home', '|loook'], ['Backspace', '|loook', 'Backspace at the start'], ['ArrowRight', 'l|oook'],
    ['ArrowRight', 'lo|ook'], ['Backspace', 'l|ook'], ['End', 'look|'], ['Delete', 'look|', 'Delete at the end'],
    ['ArrowLeft', 'loo|k'], ['ArrowLeft', 'lo|ok'], ['Delete', 'lo|k'],
  ]);
});

test('a character outside the BMP is one cursor step', () => {
  const ed = new LineEditor();
  type(ed, 'a\u{1F600}b');
  key(ed, 'ArrowLeft');
  key(ed, 'Backspace');
  assert.equal(state(ed), 'a|b');
});

test('control characters typed or pasted never reach the line', () => {
  const ed = new LineEditor();
  type(ed, 'say \x1b[31mred\x07');
  assert.equal(ed.text, 'say [31mred');
});

test('Ctrl-X erases the whole line wherever the cursor is; Ctrl-W a word', () => {
  const ed = new LineEditor();
  type(ed, 'tell bron hello');
  key(ed, 'ArrowLeft');
  assert.equal(key(ed, 'x', { ctrlKey: true }), 'edit');
  assert.equal(state(ed), '|');
  type(ed, 'tell bron hello');
  key(ed, 'w', { ctrlKey: true });
  assert.equal(state(ed), 'tell bron |');
});

test('Enter submits and empties; history walks back and forth and restores the draft', () => {
  const ed = new LineEditor();
  for (const l of ['look', 'north', 'say hi']) { type(ed, l); assert.equal(key(ed, 'Enter'), 'submit'); ed.submit(); }
  assert.deepEqual(ed.entries, ['look', 'north', 'say hi']);
  type(ed, 'dra');
  key(ed, 'ArrowUp');
  assert.equal(ed.text, 'dra', 'prefix search: nothing starts with "dra"');
  key(ed, 'x', { ctrlKey: true });
  key(ed, 'ArrowUp');
  assert.equal(state(ed), 'say hi|');
  key(ed, 'ArrowUp');
  assert.equal(ed.text, 'north');
  key(ed, 'ArrowUp');
  assert.equal(ed.text, 'look');
  key(ed, 'ArrowUp');
  assert.equal(ed.text, 'look', 'stays at the oldest');
  key(ed, 'ArrowDown');
  assert.equal(ed.text, 'north');
  key(ed, 'ArrowDown'); key(ed, 'ArrowDown');
  assert.equal(ed.text, '', 'back to the (empty) draft');
});

test('history: Up with text typed searches entries starting with it; duplicates and blanks are not kept', () => {
  const ed = new LineEditor();
  for (const l of ['say one', 'look', 'say two', 'say two', '  ']) { type(ed, l); ed.submit(); }
  assert.deepEqual(ed.entries, ['say one', 'look', 'say two']);
  type(ed, 'say');
  key(ed, 'ArrowUp');
  assert.equal(ed.text, 'say two');
  key(ed, 'ArrowUp');
  assert.equal(ed.text, 'say one');
  key(ed, 'ArrowDown'); key(ed, 'ArrowDown');
  assert.equal(ed.text, 'say', 'the draft comes back');
});

test('history is capped and password lines never enter it', () => {
  const ed = new LineEditor({ historyMax: 3 });
  for (const l of ['a', 'b', 'c', 'd']) { type(ed, l); ed.submit(); }
  assert.deepEqual(ed.entries, ['b', 'c', 'd']);
  ed.secret = true;
  type(ed, 'hunter2');
  assert.equal(ed.submit(), 'hunter2');
  assert.deepEqual(ed.entries, ['b', 'c', 'd']);
  key(ed, 'ArrowUp');
  assert.equal(ed.text, '', 'no history while echo is off');
  assert.deepEqual(ed.layout(10, 10).rows, [''], 'nothing of a password is drawn');
});

test('Tab completes commands as the first word and names after it', () => {
  const ed = new LineEditor({ commands: ['look', 'north', 'northeast', 'say', 'shout', 'help', 'inventory'] });
  type(ed, 'inv');
  key(ed, 'Tab');
  assert.equal(state(ed), 'inventory |');
  ed.eraseLine();
  type(ed, 'tell a');
  key(ed, 'Tab', {}, ['Ada', 'Bron']);
  assert.equal(state(ed), 'tell Ada |', 'names match without regard to case');
  ed.eraseLine();
  type(ed, 'help sh');
  key(ed, 'Tab', {}, ['Shelob']);
  assert.equal(state(ed), 'help shout |', 'after help, commands');
  ed.eraseLine();
  type(ed, 'xyz');
  key(ed, 'Tab');
  assert.equal(state(ed), 'xyz|', 'no match: nothing changes');
});

test('Tab with several matches extends to the common prefix, then cycles', () => {
  const ed = new LineEditor({ commands: ['north', 'northeast', 'northwest', 'say'] });
  type(ed, 'no');
  steps(ed, [
    ['Tab', 'north|', 'the common prefix'], ['Tab', 'north|'], ['Tab', 'northeast|'], ['Tab', 'northwest|'],
    ['Tab', 'north|', 'round again'], [['type', ' '], 'north |', 'typing ends the cycle'],
  ]);
});

test('Tab completes the word at the cursor in the middle of a line', () => {
  const ed = new LineEditor();
  type(ed, 'give br sword');
  for (let i = 0; i < 6; i++) key(ed, 'ArrowLeft');
  key(ed, 'Tab', {}, ['Bron', 'Ada']);
  assert.equal(state(ed), 'give Bron |sword', 'the space already there is not doubled');
});

test('keys that are not editing keys are left to the browser', () => {
  const ed = new LineEditor();
  assert.equal(key(ed, 'a'), null);
  assert.equal(key(ed, 'r', { ctrlKey: true }), null);
  assert.equal(key(ed, 'F5'), null);
});

test('layout: rows after the prompt break after the last space; the cursor maps to row and column', () => {
  const ed = new LineEditor();
  type(ed, 'say the quick brown fox');
  // 3 columns of prompt, 10 columns wide: first row holds 7.
  let L = ed.layout(7, 10);
  assert.deepEqual(L.rows, ['say ', 'the quick ', 'brown fox']);
  assert.deepEqual([L.cursorRow, L.cursorCol], [2, 9]);
  ed.home();
  for (let i = 0; i < 8; i++) ed.right();
  L = ed.layout(7, 10);
  assert.deepEqual([L.cursorRow, L.cursorCol], [1, 4], 'the cursor on "quick"');
  ed.eraseLine();
  type(ed, 'abcdefghijklmnop');
  L = ed.layout(7, 10);
  assert.deepEqual(L.rows, ['abcdefg', 'hijklmnop'], 'a word longer than the row breaks at the edge');
  type(ed, 'q');
  L = ed.layout(7, 10);
  assert.deepEqual(L.rows, ['abcdefg', 'hijklmnopq', ''], 'a cursor past a full row starts the next');
  assert.deepEqual([L.cursorRow, L.cursorCol], [2, 0]);
  assert.deepEqual(new LineEditor().layout(7, 10), { rows: [''], cursorRow: 0, cursorCol: 0 });
});

test('word wrap: a word that would cross the edge starts the next row', () => {
  const w = new WordWrap(10);
  assert.equal(w.push('one two three'), 'one two \r\nthree');
  assert.equal(w.col, 5);
  assert.equal(w.line, 'three');
  assert.equal(w.push(' four\r\n1> '), ' four\r\n1> ');
  assert.equal(w.col, 3);
  assert.equal(w.line, '1> ');
});

test('word wrap: colour codes take no columns and stay with their word', () => {
  const w = new WordWrap(10);
  assert.equal(w.push('abc \x1b[33mdefgh\x1b[0m ij'), 'abc \x1b[33mdefgh\x1b[0m \r\nij');
  const v = new WordWrap(10);
  assert.equal(v.push('abc \x1b[3'), 'abc ');
  assert.equal(v.push('3mxy'), '\x1b[33mxy', 'an escape split across frames is kept whole');
  assert.equal(v.col, 6);
});

test('word wrap: a line of exactly the width, and a word longer than it', () => {
  const w = new WordWrap(5);
  assert.equal(w.push('abcde\r\nfg'), 'abcde\r\nfg');
  const v = new WordWrap(5);
  assert.equal(v.push('abcdefghij k'), 'abcde\r\nfghij\r\nk');
  const u = new WordWrap(5);
  assert.equal(u.push('abcd efgh'), 'abcd \r\nefgh');
  u.wrote('xy\r\n');
  assert.equal(u.col, 0);
});

test('output that arrives at a prompt goes below it, and the prompt comes back', () => {
  const w = new WordWrap(40);
  w.push('1> ');
  w.markPrompt();
  assert.equal(w.push('Ada shouts, "psst"\r\n'), '\r\nAda shouts, "psst"\r\n1> ');
  assert.equal(w.col, 3);
  assert.equal(w.push('\r\nBron arrives.\r\n'), '\r\nBron arrives.\r\n1> ', 'a leading line break is not doubled');
  assert.equal(w.push('You are here.\r\n1> '), '\r\nYou are here.\r\n1> ', 'a new prompt from the server is not doubled');
  const v = new WordWrap(40);
  v.push('By what name');
  assert.equal(v.push(' are you known? '), ' are you known? ', 'without Core.Prompt a line just continues');
  v.markPrompt();
  v.wrote('Ada\r\n');
  assert.equal(v.push('Password: '), 'Password: ', 'after Enter the prompt is used up');
});
