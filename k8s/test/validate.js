#!/usr/bin/env node
// Validates rendered Kubernetes objects (multi-document YAML on stdin or in the files named)
// against the Kubernetes API's OpenAPI schemas (kubernetes-models) and, for the ServiceMonitor,
// the Prometheus Operator's CRD schema. Prints one line per object; exits 1 if any object is
// invalid or of a kind it has no schema for, 2 on unreadable input.
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

// apiVersion -> module holding one class per kind
const MODULES = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "batch/v1": "kubernetes-models/batch/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "rbac.authorization.k8s.io/v1": "kubernetes-models/rbac.authorization.k8s.io/v1",
  "autoscaling/v2": "kubernetes-models/autoscaling/v2",
  "monitoring.coreos.com/v1": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1",
};

function modelClass(apiVersion, kind) {
  const mod = MODULES[apiVersion];
  if (!mod) return null;
  let exported;
  try {
    exported = require(mod + "/" + kind);
  } catch (e) {
    return null;
  }
  return exported[kind] || null;
}

function read() {
  const files = process.argv.slice(2);
  if (files.length === 0) return [fs.readFileSync(0, "utf8")];
  return files.map((f) => fs.readFileSync(f, "utf8"));
}

let texts;
try {
  texts = read();
} catch (e) {
  console.error("cannot read input: " + e.message);
  process.exit(2);
}
let failures = 0;
let count = 0;
for (const text of texts) {
  for (const doc of yaml.loadAll(text)) {
    if (doc == null) continue;
    count++;
    const name = `${doc.apiVersion}/${doc.kind} ${(doc.metadata || {}).name}`;
    const Model = modelClass(doc.apiVersion, doc.kind);
    if (!Model) {
      failures++;
      console.log(`INVALID ${name}: no schema for apiVersion ${doc.apiVersion} kind ${doc.kind}`);
      continue;
    }
    try {
      new Model(doc).validate();
      console.log(`valid ${name}`);
    } catch (e) {
      failures++;
      const details = e.errors ? JSON.stringify(e.errors) : "";
      console.log(`INVALID ${name}: ${e.message} ${details}`);
    }
  }
}
if (count === 0) {
  console.log("INVALID: no objects in the input");
  process.exit(1);
}
console.log(`${count} objects, ${failures} invalid`);
process.exit(failures === 0 ? 0 : 1);
