/** The server's rule codes and the severities a user can give them (`fxlens.rules`). */

export const RULES = {
  FXL001: "unknown-node",
  FXL002: "mode-only-node",
  FXL003: "dot-wildcard-query",
  FXL004: "invalid-regex-query",
  FXL005: "overlapping-queries",
  FXL006: "duplicate-output-name",
  FXL007: "overwritten-in-place",
  FXL008: "non-tensor-node",
  FXL009: "invalid-arguments",
  FXL010: "renumbered-module-name",
  FXL011: "untraceable-model",
  FXL012: "unresolved-model",
} as const;

export type RuleCode = keyof typeof RULES;

export const SEVERITIES = ["error", "warning", "information", "hint", "off"] as const;

export type Severity = (typeof SEVERITIES)[number];
