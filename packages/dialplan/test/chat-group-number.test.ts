import { chatGroupNumberProblems, defaultNumberPlan, pickChatGroupNumber } from '../src';

describe('chat group numbers', () => {
  const plan = defaultNumberPlan('9');

  it('refuses numbers that clash with feature codes or the trunk access code', () => {
    expect(chatGroupNumberProblems(plan, '700')).toEqual([]);
    expect(chatGroupNumberProblems(plan, '401')).toEqual([
      'chat group 401 clashes with code 40 (dnd)',
    ]);
    expect(chatGroupNumberProblems(plan, '900')).toEqual([
      'chat group 900 clashes with trunk access code 9',
    ]);
    expect(chatGroupNumberProblems(plan, '7a')).toEqual([
      'chat group number "7a": digits only, 1 to 8',
    ]);
  });

  it('picks the first free number of 700-799, then 7000-7999', () => {
    expect(pickChatGroupNumber(plan, () => false)).toBe('700');
    expect(pickChatGroupNumber(plan, (n) => n === '700' || n === '701')).toBe('702');
    expect(pickChatGroupNumber(plan, (n) => n.length === 3)).toBe('7000');
    // A feature code moved to 70 takes the whole range: 70x clash, 7000+ too.
    const moved = { ...plan, codes: { ...plan.codes, dnd: '70' } };
    expect(pickChatGroupNumber(moved, () => false)).toBe('710');
    expect(pickChatGroupNumber(plan, () => true)).toBeUndefined();
  });
});
