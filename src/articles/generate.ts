import { z } from 'zod';
import type { Store } from '../store/store.js';
import type { SystemId } from '../model.js';
import type { Progress } from '../importers/types.js';
import { MedCodesError } from '../errors.js';
import { lookup, findCode, type CodeDocument } from '../lookup.js';
import { officialSections } from './official.js';
import { articleKind, sectionsOf, MAX_SECTION_CHARS, type ArticleKind } from './sections.js';
import type { ArticleStore } from './store.js';

/**
 * Generated articles: a language model behind an OpenAI-compatible chat-completions endpoint
 * (`POST {base}/chat/completions`, https://platform.openai.com/docs/api-reference/chat; llama.cpp's
 * server and Ollama speak the same protocol) writes the sections a code has no curated text for.
 *
 * - Grounded: the prompt holds the code's official data (title, place in the classification,
 *   notes, index terms, PCS characters with their definitions, HCPCS fields) and asks the model to
 *   stay within general, well-established knowledge.
 * - Validated: the answer must be a JSON object with exactly the kind's sections (zod); otherwise the
 *   model is told what was wrong and asked again, up to `maxAttempts`.
 * - Polite: at most `concurrency` requests at once; 429 and 5xx are retried after the server's
 *   Retry-After or an exponential backoff; other HTTP errors (bad key, unknown model) stop the run.
 * - Resumable: a code that already has a generated article by the same model is skipped (unless
 *   `force`); each article is stored as soon as it is valid, so a stopped run continues where it was.
 * - Counted: tokens from each answer's `usage`, per run and per code (table `generations`).
 */

export interface LlmConfig {
  baseUrl: string;
  model: string;
  apiKey?: string;
  /** Per request, milliseconds. */
  timeoutMs: number;
}

/** MEDCODES_LLM_BASE_URL (e.g. https://api.openai.com/v1, http://127.0.0.1:8081/v1), MEDCODES_LLM_MODEL, MEDCODES_LLM_API_KEY (optional for local servers), MEDCODES_LLM_TIMEOUT_MS. */
export function llmConfigFromEnv(env: NodeJS.ProcessEnv = process.env): LlmConfig {
  const baseUrl = env.MEDCODES_LLM_BASE_URL?.trim();
  const model = env.MEDCODES_LLM_MODEL?.trim();
  if (!baseUrl || !model)
    throw new MedCodesError(
      'invalid_parameter',
      'set MEDCODES_LLM_BASE_URL (an OpenAI-compatible API, e.g. http://127.0.0.1:8080/v1) and MEDCODES_LLM_MODEL to generate articles',
    );
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new MedCodesError('invalid_parameter', `MEDCODES_LLM_BASE_URL is not a URL: "${baseUrl.slice(0, 100)}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new MedCodesError('invalid_parameter', 'MEDCODES_LLM_BASE_URL must be http or https');
  const timeoutMs = Number(env.MEDCODES_LLM_TIMEOUT_MS || 120_000);
  return {
    baseUrl: baseUrl.replace(/\/+$/, ''),
    model,
    ...(env.MEDCODES_LLM_API_KEY ? { apiKey: env.MEDCODES_LLM_API_KEY } : {}),
    timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 120_000,
  };
}

// ---------------------------------------------------------------------------------------------
// Prompt

const MAX_LIST = 15;

/** The official data of a code, as the model's only source about the code itself. */
export function groundingText(doc: CodeDocument): string {
  const lines: string[] = [`Code set: ${doc.systemName} (${doc.version})`, `Code: ${doc.code}`, `Official title: ${doc.display}`];
  if (doc.shortDisplay) lines.push(`Short title: ${doc.shortDisplay}`);
  for (const s of officialSections(doc)) lines.push(`${s.heading} (official): ${s.text}`);
  if (doc.indexTerms.length)
    lines.push(
      `Index entries: ${doc.indexTerms
        .slice(0, MAX_LIST)
        .map((t) => t.path)
        .join('; ')}`,
    );
  if (doc.children.length)
    lines.push(
      `More specific codes: ${doc.children
        .slice(0, MAX_LIST)
        .map((c) => `${c.code} ${c.display}`)
        .join('; ')}`,
    );
  return lines.join('\n');
}

export function buildMessages(doc: CodeDocument, kind: ArticleKind): { role: 'system' | 'user'; content: string }[] {
  const defs = sectionsOf(kind);
  const shape = defs
    .map(
      (d) =>
        `  "${d.id}": "${d.heading}: ${d.guide}${d.list === 'steps' ? ' Numbered steps, one per line ("1. ...").' : d.list ? ' One item per line, each starting with "- ".' : ''}"`,
    )
    .join(',\n');
  return [
    {
      role: 'system',
      content:
        'You write short plain-language explanations of medical codes for patients and medical coders. ' +
        'Use the official data given as the only facts about the code; add only general, well-established medical knowledge. ' +
        'Never contradict the official data, never invent codes, rules, numbers or statistics, and give no personal medical advice. ' +
        'Answer with one JSON object and nothing else.',
    },
    {
      role: 'user',
      content: `Official data:\n${groundingText(doc)}\n\nWrite the article as a JSON object {"title": "<a plain-language name>", "sections": {…}} with exactly these keys in "sections", each a string of at most ${Math.floor(MAX_SECTION_CHARS / 4)} characters:\n{\n${shape}\n}`,
    },
  ];
}

/** The answer's schema for one kind: every section, nothing else. */
export function answerSchema(kind: ArticleKind) {
  const text = z.string().trim().min(1).max(MAX_SECTION_CHARS);
  return z.object({
    title: z.string().trim().min(1).max(500).optional(),
    sections: z.strictObject(Object.fromEntries(sectionsOf(kind).map((d) => [d.id, text])) as Record<string, typeof text>),
  });
}

/** Parse a model's answer: JSON (a ```json fence is tolerated), then the schema. Returns the problem in words when invalid. */
export function parseAnswer(
  content: string,
  kind: ArticleKind,
): { ok: true; value: z.infer<ReturnType<typeof answerSchema>> } | { ok: false; problem: string } {
  const fenced = /```(?:json)?\s*([\s\S]*?)```/.exec(content);
  let json: unknown;
  try {
    json = JSON.parse((fenced ? fenced[1] : content).trim());
  } catch (e) {
    return { ok: false, problem: `the answer is not JSON (${(e as Error).message})` };
  }
  const r = answerSchema(kind).safeParse(json);
  if (!r.success) return { ok: false, problem: r.error.issues.map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`).join('; ') };
  return { ok: true, value: r.data };
}

// ---------------------------------------------------------------------------------------------
// HTTP

export interface GenerateOptions {
  store: Store;
  articles: ArticleStore;
  config: LlmConfig;
  targets: { system: SystemId; key: string }[];
  concurrency?: number;
  /** Attempts per code: invalid answers and retryable HTTP errors count. */
  maxAttempts?: number;
  force?: boolean;
  progress: Progress;
  /** First backoff, doubled on each retry (tests make it small). */
  backoffMs?: number;
  /** Longest wait honoured from a Retry-After header. */
  maxRetryAfterMs?: number;
  /** Date of the generated sections (YYYY-MM-DD); today by default. */
  date?: string;
}

export interface GenerateSummary {
  model: string;
  generated: number;
  skipped: number;
  failed: { code: string; system: SystemId; problem: string }[];
  requests: number;
  promptTokens: number;
  completionTokens: number;
}

class FatalHttpError extends Error {}
class RetryableError extends Error {
  constructor(
    message: string,
    readonly waitMs?: number,
  ) {
    super(message);
  }
}

/** Retry-After: delay-seconds or an HTTP-date (RFC 9110, section 10.2.3). */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const t = Date.parse(header);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Completion {
  content: string;
  promptTokens: number;
  completionTokens: number;
}

async function complete(config: LlmConfig, messages: { role: string; content: string }[]): Promise<Completion> {
  let res: Response;
  try {
    res = await fetch(`${config.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
      body: JSON.stringify({ model: config.model, messages, temperature: 0.2, response_format: { type: 'json_object' } }),
      signal: AbortSignal.timeout(config.timeoutMs),
    });
  } catch (e) {
    throw new RetryableError(`request failed: ${(e as Error).message}`);
  }
  const body = await res.text();
  if (res.status === 429 || res.status >= 500)
    throw new RetryableError(`the server answered ${res.status}`, retryAfterMs(res.headers.get('retry-after')));
  if (!res.ok) throw new FatalHttpError(`the language model server answered ${res.status}: ${body.slice(0, 300)}`);
  let json: any;
  try {
    json = JSON.parse(body);
  } catch {
    throw new RetryableError('the server answered something that is not JSON');
  }
  const content = json?.choices?.[0]?.message?.content;
  if (typeof content !== 'string') throw new RetryableError('the answer has no choices[0].message.content');
  return { content, promptTokens: Number(json.usage?.prompt_tokens) || 0, completionTokens: Number(json.usage?.completion_tokens) || 0 };
}

// ---------------------------------------------------------------------------------------------

export async function generateArticles(o: GenerateOptions): Promise<GenerateSummary> {
  const { store, articles, config, progress } = o;
  const concurrency = Math.max(1, Math.min(o.concurrency ?? 4, 64));
  const maxAttempts = Math.max(1, o.maxAttempts ?? 4);
  const backoff = o.backoffMs ?? 1000;
  const maxRetryAfter = o.maxRetryAfterMs ?? 120_000;
  const date = o.date ?? new Date().toISOString().slice(0, 10);
  const summary: GenerateSummary = {
    model: config.model,
    generated: 0,
    skipped: 0,
    failed: [],
    requests: 0,
    promptTokens: 0,
    completionTokens: 0,
  };
  const todo = o.force ? o.targets : o.targets.filter((t) => !articles.hasGenerated(t.system, t.key, config.model));
  summary.skipped = o.targets.length - todo.length;
  if (summary.skipped) progress.log(`  ${summary.skipped} codes already have an article by ${config.model} (--force to write them again)`);
  const bar = progress.phase(`generating articles with ${config.model}`, todo.length);
  let fatal: Error | undefined;

  const one = async (t: { system: SystemId; key: string }) => {
    const doc = lookup(store, t.system, t.key);
    const kind = articleKind(t.system);
    const messages: { role: string; content: string }[] = buildMessages(doc, kind);
    let prompt = 0;
    let completion = 0;
    let lastProblem = '';
    for (let attempt = 1; attempt <= maxAttempts && !fatal; attempt++) {
      try {
        summary.requests++;
        const c = await complete(config, messages);
        prompt += c.promptTokens;
        completion += c.completionTokens;
        summary.promptTokens += c.promptTokens;
        summary.completionTokens += c.completionTokens;
        const parsed = parseAnswer(c.content, kind);
        if (parsed.ok) {
          const defs = sectionsOf(kind);
          articles.db.transaction(() => {
            articles.put({
              system: t.system,
              key: t.key,
              code: doc.code,
              source: 'generated',
              kind,
              ...(parsed.value.title ? { title: parsed.value.title } : {}),
              author: config.model,
              date,
              review: 'draft',
              sections: defs.map((d) => ({ section: d.id, heading: d.heading, text: parsed.value.sections[d.id] })),
            });
            articles.recordGeneration({
              system: t.system,
              key: t.key,
              model: config.model,
              date,
              promptTokens: prompt,
              completionTokens: completion,
              attempts: attempt,
            });
          })();
          summary.generated++;
          return;
        }
        // Tell the model what was wrong and ask again.
        lastProblem = `invalid answer: ${parsed.problem}`;
        messages.push(
          { role: 'assistant', content: c.content.slice(0, 4000) },
          {
            role: 'user',
            content: `That answer is not valid: ${parsed.problem}. Answer again with only the JSON object, with exactly the keys asked for.`,
          },
        );
      } catch (e) {
        if (e instanceof FatalHttpError) {
          fatal = e;
          return;
        }
        if (!(e instanceof RetryableError)) throw e;
        lastProblem = e.message;
        if (attempt < maxAttempts) {
          const wait =
            e.waitMs !== undefined ? Math.min(e.waitMs, maxRetryAfter) : backoff * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5);
          await sleep(wait);
        }
      }
    }
    summary.failed.push({ system: t.system, code: doc.code, problem: lastProblem || 'stopped' });
  };

  let next = 0;
  const worker = async () => {
    while (!fatal && next < todo.length) {
      const t = todo[next++];
      try {
        await one(t);
      } catch (e) {
        summary.failed.push({ system: t.system, code: t.key, problem: (e as Error).message });
      }
      bar.tick();
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, todo.length) }, worker));
  bar.done();
  if (fatal)
    throw new MedCodesError(
      'invalid_parameter',
      `${fatal.message} (${summary.generated} articles were stored before it; run again to resume)`,
    );
  return summary;
}

/** Codes to generate for: the given ones, or the active billable codes of the systems in classification order. */
export function selectTargets(
  store: Store,
  o: { systems: SystemId[]; codes?: string[]; limit: number },
): { system: SystemId; key: string }[] {
  if (o.codes?.length) {
    return o.codes.map((c) => {
      for (const s of o.systems) {
        try {
          return { system: s, key: findCode(store, s, c).key };
        } catch (e) {
          if (!(e instanceof MedCodesError) || e.code !== 'not_found') throw e;
        }
      }
      throw new MedCodesError(
        'not_found',
        `no loaded code system${o.systems.length === 1 ? ` (${o.systems[0]})` : ''} has the code "${c}"`,
      );
    });
  }
  const out: { system: SystemId; key: string }[] = [];
  for (const s of o.systems) {
    const rows = store.db
      .prepare("SELECT key FROM codes WHERE system = ? AND status = 'active' AND billable = 1 ORDER BY sort LIMIT ?")
      .all(s, o.limit - out.length) as { key: string }[];
    for (const r of rows) out.push({ system: s, key: r.key });
    if (out.length >= o.limit) break;
  }
  return out;
}
