#!/usr/bin/env node
// Offline checks of the Kubernetes manifests, run by manifests_test.sh:
//
//   k8s_manifests.cjs render DIR        kustomize DIR (the subset our manifests use) to stdout
//   k8s_manifests.cjs validate FILE...  every document against the Kubernetes API schemas
//                                       (npm kubernetes-models) plus unknown-field detection
//   k8s_manifests.cjs policy FILE       the rules of issue 9 (least-privilege RBAC, agent
//                                       DaemonSet mounts and probes, controller probes, ...)
//   k8s_manifests.cjs get FILE KIND NAME a/b/c   print one value (JSON unless a string)
//
// FILE may be "-" for stdin. Modules come from $ALCOR_NODE_MODULES (tools/node_modules).
"use strict";
const fs = require("fs");
const path = require("path");

const NM = process.env.ALCOR_NODE_MODULES || path.join(__dirname, "../../tools/node_modules");
const YAML = require(path.join(NM, "yaml"));
const MODELS = path.join(NM, "kubernetes-models");

function die(msg) {
  process.stderr.write(msg + "\n");
  process.exit(1);
}

function readText(file) {
  return fs.readFileSync(file === "-" ? 0 : file, "utf8");
}

// Parses every document; YAML errors (including duplicate keys) are fatal.
function parseDocs(text, where) {
  const out = [];
  for (const doc of YAML.parseAllDocuments(text, { uniqueKeys: true })) {
    if (doc.errors.length) die(`${where}: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value = doc.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// render: the kustomize subset we use (resources, components, images, patches with strategic
// merge).

const KUSTOMIZATION_KEYS = new Set(["apiVersion", "kind", "resources", "components", "images", "patches"]);

// Strategic merge, simplified: maps merge, lists of named objects merge by name (new ones
// first), other lists
// and scalars are replaced. A null value deletes the key.
function strategicMerge(base, patch) {
  if (Array.isArray(base) && Array.isArray(patch) && patch.every((e) => e && e.name)) {
    const out = base.map((e) => ({ ...e }));
    const added = [];
    for (const p of patch) {
      const i = out.findIndex((e) => e && e.name === p.name);
      if (i >= 0) out[i] = strategicMerge(out[i], p);
      else added.push(p);
    }
    return [...added, ...out];  // as kustomize: new elements first
  }
  if (!isObject(base) || !isObject(patch)) return patch;
  const out = { ...base };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = k in out ? strategicMerge(out[k], v) : v;
  }
  return out;
}

function isObject(v) {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function imageName(ref) {
  const at = ref.indexOf("@");
  const noDigest = at >= 0 ? ref.slice(0, at) : ref;
  const colon = noDigest.lastIndexOf(":");
  return colon > noDigest.lastIndexOf("/") ? noDigest.slice(0, colon) : noDigest;
}

function setImages(objects, images) {
  for (const o of objects) {
    const spec = o.spec && o.spec.template && o.spec.template.spec;
    if (!spec) continue;
    for (const c of [...(spec.initContainers || []), ...(spec.containers || [])]) {
      const img = images.find((i) => i.name === imageName(c.image));
      if (!img) continue;
      let ref = img.newName || img.name;
      if (img.digest) ref += "@" + img.digest;
      else ref += ":" + (img.newTag || c.image.slice(imageName(c.image).length + 1) || "latest");
      c.image = ref;
    }
  }
}

// A kustomization (kind Kustomization) renders its resources; a component (kind Component,
// listed under `components`) adds its resources and patches to what its parent rendered so far.
function render(dir, kind = "Kustomization", objects = []) {
  const file = ["kustomization.yaml", "kustomization.yml", "Kustomization"]
    .map((f) => path.join(dir, f))
    .find((f) => fs.existsSync(f));
  if (!file) die(`${dir}: no kustomization.yaml`);
  const [k] = parseDocs(readText(file), file);
  for (const key of Object.keys(k)) {
    if (!KUSTOMIZATION_KEYS.has(key)) die(`${file}: key "${key}" is not supported by this renderer`);
  }
  if (k.kind !== kind) die(`${file}: kind must be ${kind}`);
  for (const r of k.resources || []) {
    const p = path.resolve(dir, r);
    if (!fs.existsSync(p)) die(`${file}: resource ${r} does not exist`);
    if (fs.statSync(p).isDirectory()) objects.push(...render(p));
    else objects.push(...parseDocs(readText(p), p));
  }
  for (const c of k.components || []) {
    const p = path.resolve(dir, c);
    if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) die(`${file}: component ${c} is not a directory`);
    objects = render(p, "Component", objects);
  }
  for (const patch of k.patches || []) {
    const docs = patch.path
      ? parseDocs(readText(path.resolve(dir, patch.path)), patch.path)
      : parseDocs(patch.patch, `${file} inline patch`);
    for (const d of docs) {
      const i = objects.findIndex(
        (o) => o.kind === d.kind && o.metadata.name === d.metadata.name,
      );
      if (i < 0) die(`${file}: patch target ${d.kind}/${d.metadata.name} not found`);
      objects[i] = strategicMerge(objects[i], d);
    }
  }
  setImages(objects, k.images || []);
  return objects;
}

// ---------------------------------------------------------------------------------------------
// validate: schema validation by kubernetes-models, then unknown fields from its type
// declarations (the generated schemas accept any extra key; the API server in strict field
// validation mode does not).

function modelFile(apiVersion, kind) {
  const group = apiVersion.includes("/") ? apiVersion : `v1`;
  const base = group === "v1" ? path.join(MODELS, "v1", kind) : path.join(MODELS, group, kind);
  return fs.existsSync(base + ".js") ? base : null;
}

const interfaceCache = new Map();

// Fields of the interface `name` declared in (or imported into) the .d.ts `file`, as
// {field: {type, file}}; null when the name is not an interface (a type alias: no check).
function interfaceFields(file, name) {
  const key = file + "#" + name;
  if (interfaceCache.has(key)) return interfaceCache.get(key);
  const text = fs.readFileSync(file, "utf8");
  let result = null;
  const imp = new RegExp(`import \\{([^}]*)\\} from "([^"]+)"`, "g");
  for (const m of text.matchAll(imp)) {
    if (!m[1].split(",").map((s) => s.trim()).includes(name)) continue;
    const from = m[2].startsWith(".")
      ? path.resolve(path.dirname(file), m[2])
      : path.join(NM, m[2]);
    result = fs.existsSync(from + ".d.ts") ? interfaceFields(from + ".d.ts", name) : null;
    interfaceCache.set(key, result);
    return result;
  }
  // `export interface IFoo ...` exported as IIoK8s...Foo: find the local interface.
  const alias = text.match(new RegExp(`(\\w+) as ${name}\\b`));
  const local = alias ? alias[1] : name;
  const start = text.search(new RegExp(`export interface ${local}\\b[^{]*\\{`));
  if (start >= 0) {
    const body = text.slice(text.indexOf("{", start) + 1, text.indexOf("\n}", start));
    result = {};
    for (const m of body.matchAll(/^ {4}"([^"]+)"\??: ([^;]+);/gms)) {
      result[m[1]] = { type: m[2].trim(), file };
    }
  }
  interfaceCache.set(key, result);
  return result;
}

function checkFields(value, type, file, where, errors) {
  if (value === null || value === undefined) return;
  let m;
  if ((m = type.match(/^Array<(.*)>$/s))) {
    if (Array.isArray(value)) value.forEach((v, i) => checkFields(v, m[1], file, `${where}[${i}]`, errors));
    return;
  }
  if ((m = type.match(/^\{\s*\[key: string\]: (.*?);?\s*\}$/s))) {
    if (isObject(value)) {
      for (const [k, v] of Object.entries(value)) checkFields(v, m[1], file, `${where}.${k}`, errors);
    }
    return;
  }
  if (!/^I\w+$/.test(type) || !isObject(value)) return;
  const fields = interfaceFields(file, type);
  if (!fields) return;
  for (const [k, v] of Object.entries(value)) {
    if (!(k in fields)) errors.push(`${where}: unknown field "${k}"`);
    else checkFields(v, fields[k].type, fields[k].file, `${where}.${k}`, errors);
  }
}

function validateKustomization(doc, errors) {
  for (const key of Object.keys(doc)) {
    if (!KUSTOMIZATION_KEYS.has(key)) errors.push(`unknown or unsupported field "${key}"`);
  }
  if (doc.resources !== undefined && !Array.isArray(doc.resources)) {
    errors.push("resources must be a list");
  }
}

function validateDoc(doc) {
  const errors = [];
  if (!isObject(doc)) return ["document is not an object"];
  const { apiVersion, kind } = doc;
  if (typeof apiVersion !== "string" || typeof kind !== "string") {
    return ["apiVersion and kind are required strings"];
  }
  if (apiVersion.startsWith("kustomize.config.k8s.io/")) {
    validateKustomization(doc, errors);
    return errors;
  }
  const base = modelFile(apiVersion, kind);
  if (!base) return [`unknown apiVersion/kind ${apiVersion} ${kind}`];
  const mod = require(base + ".js");
  const Model = mod[kind];
  if (!Model || Model.apiVersion !== apiVersion) return [`unknown apiVersion/kind ${apiVersion} ${kind}`];
  try {
    new Model(doc).validate();
  } catch (e) {
    errors.push(e.message);
  }
  const top = interfaceFields(base + ".d.ts", `I${kind}`);
  if (top) {
    for (const [k, v] of Object.entries(doc)) {
      if (!(k in top)) errors.push(`unknown field "${k}"`);
      else checkFields(v, top[k].type, top[k].file, k, errors);
    }
  }
  if (!doc.metadata || !doc.metadata.name) errors.push("metadata.name is required");
  return errors;
}

function validate(files) {
  let failed = 0;
  for (const file of files) {
    const docs = parseDocs(readText(file), file);
    if (docs.length === 0) {
      console.log(`FAIL ${file}: no documents`);
      failed++;
    }
    for (const doc of docs) {
      const id = `${doc.kind}/${doc.metadata ? doc.metadata.name : "?"}`;
      const errors = validateDoc(doc);
      if (errors.length) {
        failed++;
        console.log(`FAIL ${file} ${id}:\n  ${errors.join("\n  ")}`);
      } else {
        console.log(`ok   ${file} ${id}`);
      }
    }
  }
  return failed === 0;
}

module.exports = { render, validateDoc, parseDocs, readText, strategicMerge };

if (require.main === module) {
  const [cmd, ...args] = process.argv.slice(2);
  if (cmd === "render") {
    if (args.length !== 1) die("usage: render DIR");
    process.stdout.write(render(args[0]).map((o) => YAML.stringify(o)).join("---\n"));
  } else if (cmd === "validate") {
    if (args.length === 0) die("usage: validate FILE...");
    process.exit(validate(args) ? 0 : 1);
  } else if (cmd === "policy") {
    const { checkPolicy } = require("./k8s_policy.cjs");
    const errors = checkPolicy(parseDocs(readText(args[0]), args[0]));
    errors.forEach((e) => console.log("POLICY " + e));
    process.exit(errors.length ? 1 : 0);
  } else if (cmd === "get") {
    const [file, kind, name, jsonPath] = args;
    const o = parseDocs(readText(file), file).find((d) => d.kind === kind && d.metadata.name === name);
    if (!o) die(`${kind}/${name} not found`);
    let v = o;
    for (const part of jsonPath.split("/").filter(Boolean)) v = v === undefined ? v : v[part];
    if (v === undefined) die(`${kind}/${name} has no ${jsonPath}`);
    process.stdout.write(typeof v === "string" ? v : JSON.stringify(v));
  } else {
    die("usage: k8s_manifests.cjs render DIR | validate FILE... | policy FILE | get FILE KIND NAME PATH");
  }
}
