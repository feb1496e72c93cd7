'use strict';

// JSON text for requests, checked before anything reaches the library.
//
// JSON.stringify alone is too forgiving for values that cross into a
// workflow: it drops functions and symbols, turns NaN and Infinity into
// null, a Map into {}, an undefined array element into null. A workflow would
// then see a different value than the caller wrote. So the request is
// written here, value by value, and anything JSON cannot carry faithfully is
// a TypeError naming where it is (`args[1].amount`), thrown before any
// native call. What JSON.stringify does right is kept: toJSON() (Date),
// own enumerable string keys, object properties that are undefined left out.

const UNSUPPORTED_OBJECTS = [
  [Map, 'a Map'],
  [Set, 'a Set'],
  [WeakMap, 'a WeakMap'],
  [WeakSet, 'a WeakSet'],
  [Promise, 'a Promise'],
];

function describe(value) {
  if (typeof value === 'bigint') return `a BigInt (${value}n)`;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (value === undefined) return 'undefined';
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function write(value, path, ancestors, out) {
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') {
    value = value.toJSON();
  }
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`${path} is ${value}, which JSON cannot carry`);
      }
      out.push(JSON.stringify(value));
      return;
    case 'object':
      break;
    default:
      throw new TypeError(`${path} is ${describe(value)}, which is not JSON-serialisable`);
  }
  if (value === null) {
    out.push('null');
    return;
  }
  for (const [Class, what] of UNSUPPORTED_OBJECTS) {
    if (value instanceof Class) {
      throw new TypeError(`${path} is ${what}, which is not JSON-serialisable (convert it to an object or array)`);
    }
  }
  if (ancestors.has(value)) {
    throw new TypeError(`${path} contains a cycle (an object that contains itself) and is not JSON-serialisable`);
  }
  ancestors.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out.push(',');
      const item = value[i];
      if (item === undefined) {
        throw new TypeError(`${path}[${i}] is undefined, which JSON cannot carry (use null)`);
      }
      write(item, `${path}[${i}]`, ancestors, out);
    }
    out.push(']');
  } else {
    out.push('{');
    let first = true;
    for (const key of Object.keys(value)) {
      const item = value[key];
      if (item === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      const itemPath = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      write(item, itemPath, ancestors, out);
    }
    out.push('}');
  }
  ancestors.delete(value);
}

/**
 * The JSON text of a request object: `fields` maps each JSON field name to
 * [value, name the caller knows it by]. Fields whose value is undefined are
 * left out. Throws TypeError for anything JSON cannot carry.
 */
function requestJson(fields) {
  const out = ['{'];
  let first = true;
  for (const [key, [value, label]] of Object.entries(fields)) {
    if (value === undefined) continue;
    if (!first) out.push(',');
    first = false;
    out.push(JSON.stringify(key), ':');
    write(value, label, new Set(), out);
  }
  out.push('}');
  return out.join('');
}

/** camelCase → snake_case for the top-level option names (`taskQueue` → `task_queue`). */
function snakeCase(key) {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** snake_case → camelCase for the top-level response field names. */
function camelCase(key) {
  return key.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
}

/** A copy of `object` with its top-level keys in camelCase (nested values as they are). */
function camelizeTop(object) {
  const out = {};
  for (const [key, value] of Object.entries(object)) out[camelCase(key)] = value;
  return out;
}

module.exports = { requestJson, snakeCase, camelCase, camelizeTop };
