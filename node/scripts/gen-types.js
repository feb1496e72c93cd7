#!/usr/bin/env node
'use strict';

// Generates types/contract.d.ts, the TypeScript types of the JSON contract,
// from the library's JSON Schema (include/temporal_bridge.schema.json) with
// json-schema-to-typescript.
//
//   node scripts/gen-types.js [--schema FILE] [--out FILE]
//
// The schema document is
//   {"abi_version": "1.0",
//    "operations": [{"name", "c_function", "description", "request": <schema>, "response": <schema>}],
//    "connect": {"request": <schema>}, "error": <schema>, "$defs": {...}}
// with "$ref": "#/$defs/..." between them. It is compiled as one schema
// whose root, `Contract`, refers to `Operations` (each operation name →
// {request, response}, which is what the generic client.call() is typed
// with), the connect options and the error object (`ErrorObject`). Every
// definition keeps its name as a type ("RawPayload-Input" → RawPayloadInput);
// every operation also gets `<Operation>Request` / `<Operation>Response`
// (start_workflow → StartWorkflowRequest), as an alias where its definition
// is named otherwise (GetWorkflowResultRequest = GetResultRequest).
// test/types.test.js regenerates the file and fails when the committed one
// differs.

const fs = require('node:fs');
const path = require('node:path');

const PACKAGE = path.resolve(__dirname, '..');
const DEFAULT_SCHEMA = path.resolve(PACKAGE, '..', 'include', 'temporal_bridge.schema.json');
const DEFAULT_OUT = path.join(PACKAGE, 'types', 'contract.d.ts');

class SchemaMissingError extends Error {}

function pascal(name) {
  return name
    .split(/[_\-\s]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
}

/** A copy of a sub-schema without the keys that only a document root may carry. */
function embeddable(schema) {
  if (schema === true || schema === false) return schema;
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
    throw new Error(`expected a JSON Schema object, got ${JSON.stringify(schema)}`);
  }
  const { $schema: _schema, $id: _id, $defs, definitions, ...rest } = schema;
  if ($defs || definitions) {
    throw new Error("nested $defs in an operation schema are not supported: put them in the document's $defs");
  }
  return rest;
}

// Type names that would shadow a global of JS/TypeScript inside contract.d.ts
// (the schema's error object is the definition "Error"): they get "Object"
// appended (ErrorObject).
const RESERVED = new Set([
  'Array', 'Boolean', 'Date', 'Error', 'Function', 'Map', 'Number', 'Object', 'Omit', 'Partial', 'Pick',
  'Promise', 'Readonly', 'Record', 'RegExp', 'Required', 'Set', 'String', 'Symbol',
]);

/** The TypeScript name of the definition `key` ("RawPayload-Input" → "RawPayloadInput"). */
function typeName(key) {
  const safe = key
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0].toUpperCase() + part.slice(1))
    .join('');
  const name = /^[0-9]/.test(safe) ? `T${safe}` : safe;
  return RESERVED.has(name) ? `${name}Object` : name;
}

const DEFS = '#/$defs/';

/** Doc-comment text as written in Rust (`/// text`): one leading space per line removed. */
function dedent(text) {
  const lines = String(text).split('\n');
  return lines.every((line) => line === '' || line.startsWith(' '))
    ? lines.map((line) => line.slice(1)).join('\n').trim()
    : String(text).trim();
}

/**
 * A copy of `schema` in which every `{"$ref": ..., "description": ...}` (a
 * reference with annotations beside it, as schemars writes a documented
 * field of a named type) becomes `{"description": ..., "allOf": [{"$ref":
 * ...}]}` (a `default` is added to the description). json-schema-to-typescript would otherwise merge the two into a
 * new, numbered copy of the referenced type (Duration1, Duration2, ...);
 * this way the field keeps its documentation and the type its name.
 */
function splitAnnotatedRefs(schema) {
  if (Array.isArray(schema)) return schema.map(splitAnnotatedRefs);
  if (!schema || typeof schema !== 'object') return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) out[key] = splitAnnotatedRefs(value);
  // {"type": "string", "anyOf": [{"type": "string", ...}, ...]}: the outer
  // type says nothing the branches do not, and would make an intersection
  // of two numbered types (IdReusePolicy1 & IdReusePolicy2).
  if (
    typeof out.type === 'string' &&
    Array.isArray(out.anyOf) &&
    out.anyOf.every((branch) => branch && typeof branch === 'object' && branch.type === out.type)
  ) {
    delete out.type;
  }
  if (typeof out.$ref === 'string' && Object.keys(out).length > 1) {
    // `default` goes into the description: beside allOf, json-schema-to-typescript
    // would intersect the type with the default's (Duration & number).
    const { $ref, default: fallback, ...rest } = out;
    if (fallback !== undefined) {
      rest.description = `${rest.description ? `${rest.description}\n\n` : ''}Default: \`${JSON.stringify(fallback)}\`.`;
    }
    return { ...rest, allOf: [...(rest.allOf ?? []), { $ref }] };
  }
  return out;
}

/**
 * The single schema json-schema-to-typescript compiles, and the aliases to
 * append: every $defs entry keeps its name (titled with it, so the type is
 * named so), every operation gets `<Operation>Request` / `<Operation>Response`
 * (an alias of its definition when that is named otherwise), and the root
 * `Contract` refers to `Operations`, `ConnectRequest` and `ErrorObject`.
 */
function contractSchema(doc, schemaPath) {
  if (!doc || typeof doc !== 'object' || !Array.isArray(doc.operations)) {
    throw new Error(`${schemaPath}: no "operations" array; is this the temporal-bridge contract schema?`);
  }
  const defs = {};
  const names = new Map(); // TypeScript name → $defs key
  const claim = (name, key) => {
    if (names.has(name) && names.get(name) !== key) {
      throw new Error(`${schemaPath}: $defs ${key} and ${names.get(name)} would both be the TypeScript type ${name}`);
    }
    names.set(name, key);
  };
  for (const [key, schema] of Object.entries(doc.$defs ?? {})) {
    const name = typeName(key);
    claim(name, key);
    defs[key] = schema && typeof schema === 'object' ? { ...splitAnnotatedRefs(schema), title: name } : schema;
  }
  const refTo = (key) => ({ $ref: `${DEFS}${key}` });
  const aliases = [];

  // The TypeScript name of an operation's request or response, defining it
  // under `name` when it is no plain $ref to a definition.
  const named = (name, schema, what) => {
    const body = splitAnnotatedRefs(embeddable(schema ?? {}));
    const ref = typeof body === 'object' && Object.keys(body).length === 1 && typeof body.$ref === 'string' ? body.$ref : null;
    if (ref !== null && ref.startsWith(DEFS) && ref.slice(DEFS.length) in defs) {
      const target = typeName(ref.slice(DEFS.length));
      if (target !== name) {
        claim(name, `alias of ${target}`);
        aliases.push({ name, target, what });
      }
      return refTo(ref.slice(DEFS.length));
    }
    claim(name, name);
    defs[name] = typeof body === 'object' ? { ...body, title: name } : body;
    return refTo(name);
  };

  const operations = {};
  for (const op of doc.operations) {
    if (!op || typeof op.name !== 'string') throw new Error(`${schemaPath}: an operation without a name`);
    const base = pascal(op.name);
    const c = op.c_function ? ` (C: \`${op.c_function}\`, \`${op.c_function}_async\`)` : '';
    operations[op.name] = {
      type: 'object',
      description: `${dedent(op.description ?? op.name)}${c}`,
      additionalProperties: false,
      required: ['request', 'response'],
      properties: {
        request: named(`${base}Request`, op.request, `\`${op.name}\`'s request${c}`),
        response: named(`${base}Response`, op.response, `\`${op.name}\`'s response${c}`),
      },
    };
  }
  claim('Operations', 'Operations');
  defs.Operations = {
    title: 'Operations',
    description: 'Every operation of the JSON contract by name: its request and its response.',
    type: 'object',
    additionalProperties: false,
    required: Object.keys(operations),
    properties: operations,
  };

  const properties = {
    abi_version: { type: 'string', const: String(doc.abi_version ?? '') },
    operations: refTo('Operations'),
  };
  const required = ['abi_version', 'operations'];
  if (doc.connect?.request) {
    properties.connect = named('ConnectRequest', doc.connect.request, 'the connect options (`tb_client_connect`)');
    required.push('connect');
  }
  if (doc.error) {
    properties.error = named('ErrorObject', doc.error, 'the error object of every failed call');
    required.push('error');
  }
  const schema = {
    title: 'Contract',
    description: `The temporal-bridge JSON contract, ABI ${doc.abi_version ?? '?'}.`,
    type: 'object',
    additionalProperties: false,
    required,
    properties,
    $defs: defs,
  };
  return { schema, aliases };
}

/** The text of contract.d.ts for the schema at `schemaPath`. */
async function generate(schemaPath = DEFAULT_SCHEMA) {
  if (!fs.existsSync(schemaPath)) {
    throw new SchemaMissingError(
      `the contract schema ${schemaPath} does not exist, so the TypeScript types cannot be generated ` +
        `(it is written by the library's build: include/temporal_bridge.schema.json)`,
    );
  }
  const doc = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
  const { compile } = require('json-schema-to-typescript');
  const relative = path.relative(PACKAGE, schemaPath).split(path.sep).join('/');
  const { schema, aliases } = contractSchema(doc, schemaPath);
  const text = await compile(schema, 'Contract', {
    bannerComment:
      `/* Generated by scripts/gen-types.js (npm run gen-types) from ${relative}, ABI ${doc.abi_version}.\n` +
      ` * Do not edit by hand. */`,
    additionalProperties: false,
    unknownAny: true,
    declareExternallyReferenced: true,
    unreachableDefinitions: false,
    enableConstEnums: false,
    strictIndexSignatures: false,
    format: true,
    style: { singleQuote: true, printWidth: 120 },
    cwd: path.dirname(schemaPath),
  });
  const lines = ['', '// Every operation\'s request and response by the operation\'s name.', ''];
  for (const { name, target, what } of aliases) {
    lines.push(`/** ${what}. */`, `export type ${name} = ${target};`);
  }
  return `${text.trimEnd()}\n${lines.join('\n')}\n`;
}

async function main(argv) {
  let schema = DEFAULT_SCHEMA;
  let out = DEFAULT_OUT;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--schema') schema = path.resolve(argv[++i]);
    else if (argv[i] === '--out') out = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${argv[i]} (usage: gen-types.js [--schema FILE] [--out FILE])`);
  }
  const text = await generate(schema);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, text);
  console.log(`wrote ${path.relative(process.cwd(), out)} from ${path.relative(process.cwd(), schema)}`);
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((err) => {
    console.error(`gen-types: ${err.message}`);
    process.exit(1);
  });
}

module.exports = { generate, contractSchema, SchemaMissingError, DEFAULT_SCHEMA, DEFAULT_OUT };
