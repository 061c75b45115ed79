import { codeKey } from './codes.js';
import { Command, CommanderError } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { formatValidation, parseCodeCsv, validateCodes } from './validate.js';
import { Store } from './store/store.js';
import { lookup, type CodeDocument } from './lookup.js';
import type { SearchResult } from './search/search.js';
import { stats } from './stats.js';
import { defaultDbPath, defaultPort } from './config.js';
import { MedCodesError } from './errors.js';
import { SYSTEMS, SYSTEM_IDS, resolveSystem } from './systems.js';
import type { SystemId } from './model.js';
import type { Progress } from './importers/types.js';
import { ArticleStore, articlesPathFor } from './articles/store.js';

/** Output sinks, so tests can run the CLI in process and snapshot what it prints. */
export interface CliIo {
  out(s: string): void;
  err(s: string): void;
  progress?: Progress;
}

const defaultIo: CliIo = { out: (s) => process.stdout.write(s + '\n'), err: (s) => process.stderr.write(s + '\n') };

export function formatLookup(d: CodeDocument): string {
  if (d.loaded === false) {
    // An article stored for a code of a set that is not imported (a licensed set): no official data to show.
    const sections = d.article?.sections ?? [];
    return [
      `${d.code}  (${d.systemName} is not loaded: import your licensed release files)`,
      `  article: ${sections.length} section${sections.length === 1 ? '' : 's'} (${sections.map((x) => x.heading).join(', ')})`,
    ].join('\n');
  }
  const lines = [
    `${d.code}  ${d.display}`,
    `  ${d.systemName} ${d.version} · ${d.status === 'deleted' ? 'DELETED' : d.billable ? 'billable' : 'header (not billable)'}`,
  ];
  if (d.shortDisplay) lines.push(`  short: ${d.shortDisplay}`);
  if (d.parents.length) lines.push(`  in: ${d.parents.map((p) => p.code).join(' > ')}`);
  if (d.children.length)
    lines.push(
      `  children: ${d.children.length} (${d.children
        .slice(0, 5)
        .map((c) => c.code)
        .join(', ')}${d.children.length > 5 ? ', …' : ''})`,
    );
  for (const n of d.notes) lines.push(`  ${n.kind}${n.char ? ` ${n.char}` : ''}: ${n.text}${n.from ? ` [from ${n.from}]` : ''}`);
  for (const n of d.inheritedNotes) lines.push(`  ${n.kind} [from ${n.from}]: ${n.text}`);
  for (const t of d.indexTerms.slice(0, 10)) lines.push(`  index: ${t.path}`);
  if (d.indexTerms.length > 10) lines.push(`  index: … ${d.indexTerms.length - 10} more`);
  for (const h of d.history)
    lines.push(
      `  ${h.version} ${h.action}${h.previousDisplay ? ` (was: ${h.previousDisplay})` : ''}${h.replacedBy?.length ? ` → ${h.replacedBy.map((r) => r.code).join(', ')}` : ''}`,
    );
  return lines.join('\n');
}

export function formatSearch(r: SearchResult): string {
  if (!r.results.length) {
    const lines = [`No results for "${r.query}".`];
    if (r.didYouMean) lines.push(`Did you mean: ${r.didYouMean}`);
    if (r.closest?.length) lines.push('Closest codes:', ...r.closest.map((h) => `  ${h.code}  ${h.display}`));
    return lines.join('\n');
  }
  const w = Math.max(...r.results.map((h) => h.code.length));
  return [
    ...r.results.map((h) => `${h.code.padEnd(w)}  ${SYSTEMS[h.system].label.padEnd(9)} ${h.billable ? ' ' : 'H'} ${h.display}`),
    `(${r.results.length} of ${r.total})${r.didYouMean ? `  did you mean: ${r.didYouMean}` : ''}`,
  ].join('\n');
}

function parseSystem(v: string): SystemId {
  const s = resolveSystem(v);
  if (!s) throw new MedCodesError('unknown_system', `unknown code system "${v}"; known: ${SYSTEM_IDS.join(', ')}`);
  return s;
}

export async function runCli(argv: string[], io: CliIo = defaultIo): Promise<number> {
  const program = new Command();
  const open = () => new Store(program.opts().db ?? defaultDbPath());
  program
    .name('medcodes')
    .description('Search and look up medical codes from the official release files')
    .option('--db <path>', 'database file (default: $MEDCODES_DB or var/medcodes.db)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) });

  program
    .command('import [files...]')
    .description('import official release files or folders (none: the bundled data) into a new database, swapped in when complete')
    .option('--replace', 'start from an empty database instead of the current one (sets not given are not kept)')
    .option('--allow-shrink', 'accept a release with far fewer codes or mappings than the one being served')
    .action(async (files: string[]) => {
      const db = program.opts().db ?? defaultDbPath();
      const started = Date.now();
      const { runImport, summaryLine } = await import('./importers/run.js');
      const { terminalProgress } = await import('./progress.js');
      const summaries = await runImport({
        db,
        inputs: files,
        progress: io.progress ?? terminalProgress(),
        replace: !!program.commands.find((c) => c.name() === 'import')!.opts().replace,
        allowShrink: !!program.commands.find((c) => c.name() === 'import')!.opts().allowShrink,
      });
      for (const s of summaries) io.out(summaryLine(s));
      io.out(`database: ${db} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
      // The bundled data comes with the shipped articles (src/articles/bundled.ts).
      if (!files.length) {
        const { importBundledArticlesFor } = await import('./articles/bundled.js');
        const store = new Store(db);
        try {
          io.out(importBundledArticlesFor(store, store.articlesPath));
        } finally {
          store.close();
        }
      }
    });

  program
    .command('lookup <code>')
    .description('show one code with its notes, index terms and history')
    .option('-s, --system <id>', 'code system (default: the first that has the code)')
    .option('--json', 'print the JSON document')
    .action((code: string, o: { system?: string; json?: boolean }) => {
      const store = open();
      try {
        let doc: CodeDocument | undefined;
        // The text form shows neither the article nor the similar codes: skip them (similar codes
        // need the search index, the largest thing a lookup would otherwise load).
        const opts = { extras: !!o.json };
        if (o.system) doc = lookup(store, parseSystem(o.system), code, opts);
        else {
          const loaded = store.releases().map((r) => r.system);
          for (const s of loaded) {
            try {
              doc = lookup(store, s, code, opts);
              break;
            } catch (e) {
              if (!(e instanceof MedCodesError) || e.code !== 'not_found') throw e;
            }
          }
          if (!doc) throw new MedCodesError('not_found', `no loaded code system has the code "${code}"`);
        }
        io.out(o.json ? JSON.stringify(doc, null, 2) : formatLookup(doc));
      } finally {
        store.close();
      }
    });

  program
    .command('validate <file>')
    .description('validate a list of codes from a file (one code per line, or system,code; optional header) and show the status of each')
    .option('-s, --system <id>', "code system of codes that name none (default: guessed from each code's shape)")
    .option('--date <yyyy-mm-dd>', 'date of service: codes must be in effect on that day')
    .option('--json', 'print the JSON response')
    .action((file: string, o: { system?: string; date?: string; json?: boolean }) => {
      if (!existsSync(file)) throw new MedCodesError('file_not_found', `no file ${file}`);
      const codes = parseCodeCsv(readFileSync(file, 'utf8'));
      const store = open();
      try {
        const result = validateCodes(store, {
          codes,
          ...(o.system ? { system: parseSystem(o.system) } : {}),
          ...(o.date ? { date: o.date } : {}),
        });
        io.out(o.json ? JSON.stringify(result, null, 2) : formatValidation(result));
      } finally {
        store.close();
      }
    });

  program
    .command('search <words...>')
    .description('search codes by words or code')
    .option('-s, --system <ids>', 'code system(s), comma-separated')
    .option('-n, --limit <n>', 'number of results', '20')
    .option('--billable', 'billable codes only')
    .option('--status <status>', 'active, deleted or all')
    .option('--range <range>', 'a code range or chapter, e.g. E08-E13')
    .option('--year <fy>', 'codes valid in this fiscal year')
    .option('--json', 'print JSON')
    .action(
      async (
        words: string[],
        o: { system?: string; limit: string; json?: boolean; billable?: boolean; status?: string; range?: string; year?: string },
      ) => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 100)
          throw new MedCodesError('invalid_parameter', `--limit must be a whole number from 1 to 100; got "${o.limit}"`);
        if (o.status && !['active', 'deleted', 'all'].includes(o.status))
          throw new MedCodesError('invalid_parameter', `--status must be active, deleted or all; got "${o.status}"`);
        if (o.year && !/^\d{4}$/.test(o.year))
          throw new MedCodesError('invalid_parameter', `--year must be a fiscal year like 2026; got "${o.year}"`);
        const { search } = await import('./search/search.js');
        const store = open();
        try {
          const r = search(store, {
            q: words.join(' '),
            systems: o.system?.split(',').map(parseSystem),
            limit,
            ...(o.billable ? { billable: true } : {}),
            ...(o.status ? { status: o.status as 'active' } : {}),
            ...(o.range ? { range: o.range } : {}),
            ...(o.year ? { year: Number(o.year) } : {}),
          });
          io.out(o.json ? JSON.stringify(r, null, 2) : formatSearch(r));
        } finally {
          store.close();
        }
      },
    );

  program
    .command('stats')
    .description('loaded code systems, versions and counts')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const store = open();
      try {
        const s = stats(store);
        if (o.json) io.out(JSON.stringify(s, null, 2));
        else
          for (const r of s.systems) {
            const c = r.concepts;
            io.out(
              `${r.system.padEnd(9)} ${r.version.padEnd(8)} ${String(c?.active ?? 0).padStart(7)} active (${c?.billable ?? 0} billable, ${c?.headers ?? 0} headers), ${c?.deleted ?? 0} deleted  imported ${r.importedAt}${r.newer ? `  newer release known: ${r.newer.label} (effective ${r.newer.effective}; medcodes update)` : ''}`,
            );
          }
      } finally {
        store.close();
      }
    });

  // Articles: curated and generated plain-language sections, kept in a file of their own beside the
  // database (src/articles/store.ts), so that no import can lose them.
  const articles = program
    .command('articles')
    .description('plain-language articles: import curated ones, generate with a language model, list, export');
  articles.option('--articles-db <path>', 'articles file (default: $MEDCODES_ARTICLES_DB or the database path with .articles.db)');
  const articlesPath = () => articles.opts().articlesDb ?? articlesPathFor(program.opts().db ?? defaultDbPath());
  const withStores = async <T>(fn: (store: Store, target: ArticleStore) => T | Promise<T>): Promise<T> => {
    const store = open();
    let target: ArticleStore | undefined;
    try {
      target = ArticleStore.open(articlesPath());
      return await fn(store, target);
    } finally {
      target?.close();
      store.close();
    }
  };

  articles
    .command('import <file>')
    .description('import articles from JSON Lines (.jsonl) or Markdown (.md, front matter and one heading per section); all or nothing')
    .action(async (file: string) => {
      const { importArticleFile } = await import('./articles/import.js');
      return withStores((store, target) => {
        const r = importArticleFile(store, target, file);
        const notLoaded = Object.entries(r.notLoaded).map(([s, n]) => `${n} for ${SYSTEMS[s as SystemId].name}, which is not loaded`);
        io.out(
          `${file}: ${r.articles} article${r.articles === 1 ? '' : 's'}, ${r.sections} sections imported${notLoaded.length ? ` (${notLoaded.join(', ')})` : ''}`,
        );
        io.out(`articles: ${target.path}`);
      });
    });

  articles
    .command('generate')
    .description(
      'write articles with a language model (MEDCODES_LLM_BASE_URL, MEDCODES_LLM_MODEL, MEDCODES_LLM_API_KEY); resumes where it stopped',
    )
    .option('-s, --system <ids>', 'code system(s), comma-separated (default: every loaded one)')
    .option('--codes <codes...>', 'these codes (comma- or space-separated) instead of the first billable codes')
    .option('-n, --limit <n>', 'at most this many codes', '100')
    .option('-c, --concurrency <n>', 'requests at once', '4')
    .option('--force', 'write again codes that already have an article by this model')
    .action(async (o: { system?: string; codes?: string[]; limit: string; concurrency: string; force?: boolean }) => {
      const limit = Number(o.limit);
      if (!Number.isInteger(limit) || limit < 1)
        throw new MedCodesError('invalid_parameter', `--limit must be a whole number of at least 1; got "${o.limit}"`);
      const concurrency = Number(o.concurrency);
      if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64)
        throw new MedCodesError('invalid_parameter', `--concurrency must be a whole number from 1 to 64; got "${o.concurrency}"`);
      const { generateArticles, llmConfigFromEnv, selectTargets } = await import('./articles/generate.js');
      const { terminalProgress } = await import('./progress.js');
      const config = llmConfigFromEnv();
      await withStores(async (store, target) => {
        const systems = o.system ? o.system.split(',').map(parseSystem) : store.releases().map((r) => r.system);
        const codes = o.codes
          ?.flatMap((c) => c.split(','))
          .map((c) => c.trim())
          .filter(Boolean);
        const targets = selectTargets(store, { systems, ...(codes?.length ? { codes } : {}), limit });
        const r = await generateArticles({
          store,
          articles: target,
          config,
          targets,
          concurrency,
          force: !!o.force,
          progress: io.progress ?? terminalProgress(),
        });
        for (const f of r.failed) io.err(`  ${SYSTEMS[f.system].label} ${f.code}: ${f.problem}`);
        io.out(`${r.generated} generated, ${r.skipped} skipped (already done), ${r.failed.length} failed · ${r.requests} requests`);
        io.out(
          `tokens: ${r.promptTokens.toLocaleString('en-US')} prompt + ${r.completionTokens.toLocaleString('en-US')} completion = ${(r.promptTokens + r.completionTokens).toLocaleString('en-US')} (${config.model})`,
        );
        if (r.failed.length) throw new MedCodesError('check_failed', `${r.failed.length} codes failed; run again to retry them`);
      });
    });

  articles
    .command('review <code>')
    .description(
      'mark the generated (or curated) article of a code reviewed by a person, or back to draft; the page then names the reviewer',
    )
    .requiredOption('-s, --system <id>', 'code system')
    .requiredOption('--by <name>', 'who reviewed it')
    .option('--source <source>', 'generated or curated', 'generated')
    .option('--sections <ids>', 'only these sections (comma-separated ids, e.g. summary,causes)')
    .option('--draft', 'mark it draft again')
    .action((code: string, o: { system: string; by: string; source: string; sections?: string; draft?: boolean }) => {
      if (o.source !== 'curated' && o.source !== 'generated')
        throw new MedCodesError('invalid_parameter', `--source must be curated or generated; got "${o.source}"`);
      const by = o.by.trim();
      if (!by || by.length > 200) throw new MedCodesError('invalid_parameter', '--by must name the reviewer (at most 200 characters)');
      const system = parseSystem(o.system);
      return withStores((_store, target) => {
        const key = codeKey(system, code);
        const n = target.review({
          system,
          key,
          source: o.source as 'generated',
          reviewer: by,
          date: new Date().toISOString().slice(0, 10),
          status: o.draft ? 'draft' : 'reviewed',
          ...(o.sections
            ? {
                sections: o.sections
                  .split(',')
                  .map((x) => x.trim())
                  .filter(Boolean),
              }
            : {}),
        });
        if (!n)
          throw new MedCodesError(
            'not_found',
            `${SYSTEMS[system].name} ${code} has no ${o.source} article${o.sections ? ` with sections ${o.sections}` : ''}`,
          );
        io.out(
          `${SYSTEMS[system].label} ${code}: ${n} ${o.source} section${n === 1 ? '' : 's'} marked ${o.draft ? 'draft' : `reviewed by ${by}`}`,
        );
      });
    });

  articles
    .command('list')
    .description('stored articles: code, source, author or model, date, review status, sections')
    .option('-s, --system <id>', 'one code system')
    .option('--source <source>', 'curated or generated')
    .action((o: { system?: string; source?: string }) => {
      if (o.source && o.source !== 'curated' && o.source !== 'generated')
        throw new MedCodesError('invalid_parameter', `--source must be curated or generated; got "${o.source}"`);
      return withStores((_store, target) => {
        let n = 0;
        for (const a of target.all({
          ...(o.system ? { system: parseSystem(o.system) } : {}),
          ...(o.source ? { source: o.source as 'curated' } : {}),
        })) {
          n++;
          io.out(
            `${SYSTEMS[a.system].label.padEnd(9)} ${a.code.padEnd(10)} ${a.source.padEnd(9)} ${a.review.padEnd(8)} ${a.date}  ${a.author}  (${a.sections.length} sections)`,
          );
        }
        io.out(`${n} article${n === 1 ? '' : 's'}`);
        for (const u of target.usage())
          io.out(`generated by ${u.model}: ${u.codes} codes, ${(u.promptTokens + u.completionTokens).toLocaleString('en-US')} tokens`);
      });
    });

  articles
    .command('export')
    .description('print stored articles as JSON Lines, the format "articles import" reads (a backup, or to review and re-import)')
    .option('-s, --system <id>', 'one code system')
    .option('--source <source>', 'curated or generated', 'curated')
    .action((o: { system?: string; source: string }) => {
      if (o.source !== 'curated' && o.source !== 'generated')
        throw new MedCodesError('invalid_parameter', `--source must be curated or generated; got "${o.source}"`);
      return withStores((_store, target) => {
        for (const a of target.all({ ...(o.system ? { system: parseSystem(o.system) } : {}), source: o.source as 'curated' })) {
          io.out(
            JSON.stringify({
              system: a.system,
              code: a.code,
              ...(a.title ? { title: a.title } : {}),
              author: a.author,
              date: a.date,
              review: a.review,
              ...(a.source === 'generated' ? { source: a.source } : {}),
              sections: a.sections.map((s) => ({ section: s.section, text: s.text })),
            }),
          );
        }
      });
    });

  // Newer releases from the publishers (or a mirror or folder): src/update/, loaded only when used.
  program
    .command('update')
    .description('fetch and import the releases published after the loaded ones (ICD-10-CM/PCS, HCPCS, NUCC)')
    .option('--check', 'only report which newer releases are published')
    .option('--from <dirOrUrl>', "read a local folder or a mirror (publishers' host/path layout) instead of the publishers")
    .option('--system <ids>', 'comma-separated: icd10cm, icd10pcs, hcpcs, nucc')
    .option('--json', 'print JSON')
    .action(async (o: { check?: boolean; from?: string; system?: string; json?: boolean }) => {
      const { runCliUpdate } = await import('./update/cli.js');
      const { terminalProgress } = await import('./progress.js');
      const code = await runCliUpdate({ db: program.opts().db ?? defaultDbPath(), ...o }, io, io.progress ?? terminalProgress());
      if (code) throw new MedCodesError(code, 'some updates failed (see above); the previous data keeps serving');
    });

  program
    .command('serve')
    .description('serve the website and APIs (PORT, default 8080)')
    .option('-p, --port <port>', 'port', String(defaultPort()))
    .action(async (o: { port: string }) => {
      const { serve } = await import('./serve.js');
      await serve({ db: program.opts().db ?? defaultDbPath(), port: Number(o.port) });
      await new Promise(() => {});
    });

  program
    .command('mcp')
    .description('serve the MCP tools over stdio, for an AI assistant that starts MedCodes itself (README, "MCP")')
    .action(async () => {
      // Loaded only for this command: the MCP SDK is not needed by the others.
      const { runStdioServer } = await import('./mcp/stdio.js');
      await runStdioServer(program.opts().db ?? defaultDbPath());
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 2;
    if (e instanceof MedCodesError) {
      io.err(`error [${e.code}]: ${e.message}`);
      return e.code === 'not_found' ? 3 : 1;
    }
    io.err(`error: ${(e as Error).stack ?? e}`);
    return 1;
  }
}
