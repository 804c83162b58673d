// The one error class: code, message, details and cause survive, and the guard narrows by code or list of codes.
import { describe, expect, it } from 'vitest';
import { CONTRACT_ERROR_CODES, isLunaRouteError, LunaRouteError } from '../../src-shared/errors.js';

describe('LunaRouteError', () => {
  it('keeps the code, the message, the details and the cause it was given', () => {
    const cause = new Error('EADDRINUSE');
    const err = new LunaRouteError('PROXY_PORT_IN_USE', '127.0.0.1:8081 is already in use', {
      details: { host: '127.0.0.1', port: 8081 },
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('LunaRouteError');
    expect(err.code).toBe('PROXY_PORT_IN_USE');
    expect(err.message).toBe('127.0.0.1:8081 is already in use');
    expect(err.details).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(err.cause).toBe(cause);
  });

  it('has no cause and no details when none were given', () => {
    const err = new LunaRouteError('REPLAY_NOT_FOUND', 'no recorded request');
    expect('cause' in err).toBe(false);
    expect(err.details).toBeUndefined();
  });

  it('is recognised by its code, by a list of codes, and not by another code', () => {
    const err: unknown = new LunaRouteError('bad_args', 'x: expected a string');
    expect(isLunaRouteError(err)).toBe(true);
    expect(isLunaRouteError(err, 'bad_args')).toBe(true);
    expect(isLunaRouteError(err, CONTRACT_ERROR_CODES)).toBe(true);
    expect(isLunaRouteError(err, 'failed')).toBe(false);
    expect(isLunaRouteError(err, ['CLI_USAGE', 'CLI_FAILED'])).toBe(false);
  });

  it('does not take a plain Error or an object with a code for one', () => {
    expect(isLunaRouteError(new Error('bad_args'))).toBe(false);
    expect(isLunaRouteError({ code: 'bad_args', message: 'x' }, 'bad_args')).toBe(false);
    expect(isLunaRouteError(undefined)).toBe(false);
  });
});
