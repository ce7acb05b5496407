import type { Compilable, CompiledQuery, Kysely } from 'kysely';

/**
 * A query written once with kysely, whose SQL each backend compiles once and
 * then runs with new values: building and compiling a kysely query costs
 * more than running a cached SQLite statement, and the sign-in path runs the
 * same few queries thousands of times a second.
 */
export interface PreparedQuery<DB, P, R> {
  /** The query in `builder`'s dialect with `params` bound (compiled on first use with that builder). */
  bind(builder: Kysely<DB>, params: P): CompiledQuery<R>;
}

/** What one compiled template keeps: its SQL, and where each parameter's value comes from. */
interface Template<R> {
  readonly compiled: CompiledQuery<R>;
  /** Per parameter, the name of the value to bind, or undefined for a constant of the query. */
  readonly names: readonly (string | undefined)[];
  readonly constants: readonly unknown[];
}

const MARKER = '\u0000claimsgate-parameter:';

/** Stands for each parameter while the query is built: a text kysely binds as a value like any other. */
const PLACEHOLDERS: Record<string, unknown> = new Proxy(
  {},
  { get: (_target, name) => (typeof name === 'string' ? `${MARKER}${name}` : undefined) },
);

function compileTemplate<R>(query: Compilable<R>): Template<R> {
  const compiled = query.compile();
  const names = compiled.parameters.map((value) =>
    typeof value === 'string' && value.startsWith(MARKER) ? value.slice(MARKER.length) : undefined,
  );
  return { compiled, names, constants: compiled.parameters };
}

/**
 * Declares a query by the function that builds it. `build` receives
 * placeholders for its parameters, and must pass them into the query as
 * values (`where('id', '=', params.id)`) and do nothing else with them:
 * no branching on them, no arrays (an `in` list is a query of its own).
 * A constant of the query is bound like a value unless written as a literal
 * (`sql.lit`); write LIMIT that way, which SQLite plans faster.
 */
export function prepareQuery<DB, P extends object, R>(
  build: (builder: Kysely<DB>, params: P) => Compilable<R>,
): PreparedQuery<DB, P, R> {
  const templates = new WeakMap<Kysely<DB>, Template<R>>();
  return {
    bind(builder, params) {
      let template = templates.get(builder);
      if (template === undefined) {
        template = compileTemplate(build(builder, PLACEHOLDERS as P));
        templates.set(builder, template);
      }
      const values = params as Record<string, unknown>;
      const { names, constants } = template;
      const parameters = new Array<unknown>(names.length);
      for (let index = 0; index < names.length; index += 1) {
        const name = names[index];
        parameters[index] = name === undefined ? constants[index] : values[name];
      }
      return { ...template.compiled, parameters };
    },
  };
}
