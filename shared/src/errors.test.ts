/** The one mapping from (origin, Grist status) to the gateway's code and HTTP status. */
import { describe, expect, it } from 'vitest';
import { classifyGristFailure } from './errors.js';

describe('classifyGristFailure', () => {
  it('never makes a caller mistake 5xx nor a Grist malfunction 4xx', () => {
    expect(classifyGristFailure('answer', 400)).toEqual({ code: 'GRIST_ERROR', status: 400 });
    expect(classifyGristFailure('answer', 422)).toEqual({ code: 'GRIST_ERROR', status: 400 });
    expect(classifyGristFailure('answer', 403)).toEqual({ code: 'GRIST_ERROR', status: 403 });
    expect(classifyGristFailure('answer', 404)).toEqual({ code: 'NOT_FOUND', status: 404 });
    expect(classifyGristFailure('answer', 413)).toEqual({ code: 'PAYLOAD_TOO_LARGE', status: 413 });
    expect(classifyGristFailure('answer', 429)).toEqual({ code: 'RATE_LIMITED', status: 429 });
    expect(classifyGristFailure('unreachable', 429)).toEqual({ code: 'RATE_LIMITED', status: 429 });
    expect(classifyGristFailure('answer', 401)).toEqual({ code: 'GRIST_ERROR', status: 502 }); // the gateway's key
    expect(classifyGristFailure('answer', 500)).toEqual({ code: 'GRIST_ERROR', status: 502 });
    expect(classifyGristFailure('answer', 500, 'request')).toEqual({ code: 'GRIST_ERROR', status: 400 });
    expect(classifyGristFailure('answer', 500, 'not_found')).toEqual({ code: 'NOT_FOUND', status: 404 });
    expect(classifyGristFailure('answer', 503)).toEqual({ code: 'UNAVAILABLE', status: 503 });
    expect(classifyGristFailure('unreachable', 504)).toEqual({ code: 'UNAVAILABLE', status: 503 });
    expect(classifyGristFailure('malformed', 200)).toEqual({ code: 'GRIST_ERROR', status: 502 });
    expect(classifyGristFailure('malformed', 404)).toEqual({ code: 'GRIST_ERROR', status: 502 });
  });
});
