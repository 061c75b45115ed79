import { describe, it, expect } from 'vitest';
import { answerSchema, llmConfigFromEnv, parseAnswer, retryAfterMs } from './generate.js';
import { sectionsOf } from './sections.js';
import { MedCodesError } from '../errors.js';

const full = (kind: 'diagnosis' | 'procedure') => Object.fromEntries(sectionsOf(kind).map((s) => [s.id, `About ${s.heading}.`]));

describe('answers of the language model', () => {
  it('accepts exactly the kind’s sections, in a bare object or a ```json fence', () => {
    const ok = parseAnswer(JSON.stringify({ title: 'Diabetes', sections: full('diagnosis') }), 'diagnosis');
    expect(ok.ok).toBe(true);
    const fenced = parseAnswer('Here you are:\n```json\n' + JSON.stringify({ sections: full('diagnosis') }) + '\n```', 'diagnosis');
    expect(fenced.ok).toBe(true);
  });

  it('says what is wrong otherwise: not JSON, a missing section, an unknown one, an empty text', () => {
    const problem = (content: string) => {
      const r = parseAnswer(content, 'diagnosis');
      return r.ok ? '' : r.problem;
    };
    expect(problem('Sure! The code means…')).toMatch(/^the answer is not JSON/);
    const { outlook, ...missing } = full('diagnosis');
    expect(outlook).toBeDefined();
    expect(problem(JSON.stringify({ sections: missing }))).toMatch(/sections\.outlook/);
    expect(problem(JSON.stringify({ sections: { ...full('diagnosis'), recovery: 'x' } }))).toMatch(/recovery/);
    expect(problem(JSON.stringify({ sections: { ...full('diagnosis'), summary: '  ' } }))).toMatch(/sections\.summary/);
    expect(answerSchema('procedure').safeParse({ sections: full('procedure') }).success).toBe(true);
  });
});

describe('configuration and HTTP details', () => {
  it('reads the endpoint from the environment and refuses what is missing or not a URL', () => {
    expect(llmConfigFromEnv({ MEDCODES_LLM_BASE_URL: 'http://127.0.0.1:8081/v1/', MEDCODES_LLM_MODEL: 'llama3' })).toEqual({
      baseUrl: 'http://127.0.0.1:8081/v1',
      model: 'llama3',
      timeoutMs: 120000,
    });
    expect(
      llmConfigFromEnv({
        MEDCODES_LLM_BASE_URL: 'https://api.example/v1',
        MEDCODES_LLM_MODEL: 'm',
        MEDCODES_LLM_API_KEY: 'k',
        MEDCODES_LLM_TIMEOUT_MS: '5000',
      }),
    ).toMatchObject({ apiKey: 'k', timeoutMs: 5000 });
    expect(() => llmConfigFromEnv({})).toThrow(MedCodesError);
    expect(() => llmConfigFromEnv({ MEDCODES_LLM_BASE_URL: 'not a url', MEDCODES_LLM_MODEL: 'm' })).toThrow(/not a URL/);
    expect(() => llmConfigFromEnv({ MEDCODES_LLM_BASE_URL: 'file:///etc/passwd', MEDCODES_LLM_MODEL: 'm' })).toThrow(/http or https/);
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:05 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(5000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs('soon')).toBeUndefined();
  });
});
