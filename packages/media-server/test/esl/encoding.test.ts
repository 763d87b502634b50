import { splitArgs, urlEncode } from '../../src/esl/encoding';
import { CommandParser, CommandTooLargeError } from '../../src/esl/command-parser';
import {
  apiResponseFrame,
  commandReplyFrame,
  dumpText,
  eventJsonFrame,
} from '../../src/esl/frames';

describe('urlEncode', () => {
  it('keeps the unreserved set and round-trips through decodeURIComponent', () => {
    expect(urlEncode("aZ09-_.!~*'()")).toBe("aZ09-_.!~*'()");
    expect(urlEncode('+OK\n')).toBe('%2BOK%0A');
    const tricky = 'v=0\r\n100% ü :';
    expect(decodeURIComponent(urlEncode(tricky))).toBe(tricky);
  });
});

describe('splitArgs (switch_separate_string)', () => {
  it('collapses runs of spaces and drops leading/trailing ones', () => {
    expect(splitArgs('  conference  room1   list count ')).toEqual([
      'conference',
      'room1',
      'list',
      'count',
    ]);
  });
  it('groups single quotes and honours backslash escapes', () => {
    expect(splitArgs("a 'b c' d\\ e")).toEqual(['a', 'b c', 'd e']);
  });
  it('switches the delimiter with ^^<c>', () => {
    expect(splitArgs('^^^a=1^b=2')).toEqual(['a=1', 'b=2']);
  });
});

describe('CommandParser', () => {
  it('frames LF and CR LF commands, skips leading blank lines, reads headers', () => {
    const p = new CommandParser();
    expect(p.push('\n\nauth Clue')).toEqual([]);
    const cmds = p.push('Con\n\nsendmsg abc\r\ncall-command: execute\r\nexecute-app-arg: \r\n\r\n');
    expect(cmds.map((c) => c.line)).toEqual(['auth ClueCon', 'sendmsg abc']);
    expect(cmds[1]!.headers).toEqual([
      ['call-command', 'execute'],
      ['execute-app-arg', ''],
    ]);
  });
  it('refuses a frame beyond the limit', () => {
    const p = new CommandParser(100);
    expect(() => p.push('x'.repeat(200))).toThrow(CommandTooLargeError);
  });
});

describe('frames', () => {
  it('gives api responses an exact UTF-8 Content-Length', () => {
    const f = apiResponseFrame('ü\n');
    expect(f).toBe('Content-Type: api/response\nContent-Length: 3\n\nü\n');
  });
  it('URL-encodes reply headers', () => {
    expect(commandReplyFrame('+OK accepted')).toBe(
      'Content-Type: command/reply\nReply-Text: %2BOK%20accepted\n\n',
    );
  });
  it('writes JSON events with the body length of the JSON', () => {
    const f = eventJsonFrame(
      [
        ['Event-Name', 'X'],
        ['A', 'ü'],
      ],
      'body',
    );
    const [head, json] = f.split('\n\n');
    expect(head).toBe(`Content-Length: ${Buffer.byteLength(json!)}\nContent-Type: text/event-json`);
    expect(JSON.parse(json!)).toEqual({
      'Event-Name': 'X',
      A: 'ü',
      'Content-Length': '4',
      _body: 'body',
    });
  });
  it('dumps empty values as _undef_', () => {
    expect(
      dumpText([
        ['a', ''],
        ['b', 'x y'],
      ]),
    ).toBe('a: _undef_\nb: x%20y\n\n');
  });
});
