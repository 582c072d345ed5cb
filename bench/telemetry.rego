# The Rego baseline of `cargo xtask bench`: the admission checks a team would write in Rego instead
# of using meshtel, for Gatekeeper-shaped input `{"review": <AdmissionRequest>, "parameters": {...}}`.
# It covers the AKS add-on's support scope (every field outside the table is blocked) and the main
# Istio rules: provider names exist in the mesh config, providers are named, only one of
# selector / targetRef / targetRefs, a filter expression is not empty. Result: `violation`, one
# `{"msg", "details": {"path", "rule"}}` per error, with meshtel's rule ids and paths so
# host-tests/tests/rego_baseline.rs can check it agrees with the engine on the corpus.
package telemetry

import rego.v1

params := object.get(input, "parameters", {})

spec := input.review.object.spec

builtin_providers := {"envoy", "prometheus", "stackdriver"}

mesh_providers contains lower(p.name) if {
	some p in object.get(object.get(params, "mesh", {}), "extensionProviders", [])
}

known_providers := builtin_providers | mesh_providers

sections := ["accessLogging", "metrics", "tracing"]

# --- AKS support scope: fields not in the table are blocked -----------------------------------

aks if params.scope == "aks"

blocked_top := {"selector", "targetRef", "targetRefs"}

blocked_in := {"accessLogging": {"filter"}, "metrics": {"reportingInterval"}}

violation contains v if {
	aks
	some key in blocked_top
	spec[key]
	v := error("aks.blocked", sprintf("spec.%s", [key]), sprintf("`%s` is blocked on the AKS add-on", [key]))
}

violation contains v if {
	aks
	some section, keys in blocked_in
	some i, entry in spec[section]
	some key in keys
	entry[key]
	path := sprintf("spec.%s[%d].%s", [section, i, key])
	v := error("aks.blocked", path, sprintf("`%s.%s` is blocked on the AKS add-on", [section, key]))
}

# --- Istio: provider names ---------------------------------------------------------------------

violation contains v if {
	some section in sections
	some i, entry in spec[section]
	some j, provider in entry.providers
	is_string(provider.name)
	provider.name != ""
	not lower(provider.name) in known_providers
	path := sprintf("spec.%s[%d].providers[%d].name", [section, i, j])
	v := error("mesh.provider.unknown", path, sprintf("provider `%s` is not defined", [provider.name]))
}

unnamed(provider) if not is_object(provider)

unnamed(provider) if {
	is_object(provider)
	object.get(provider, "name", "") == ""
}

# Istio reports only the first unnamed provider of a list.
violation contains v if {
	some section in sections
	some i, entry in spec[section]
	is_object(entry)
	unnamed_at := [j | some j, p in entry.providers; unnamed(p)]
	count(unnamed_at) > 0
	j := unnamed_at[0]
	base := sprintf("spec.%s[%d].providers[%d]", [section, i, j])
	path := provider_name_path(base, entry.providers[j])
	v := error("istio.provider.empty-name", path, "providers.name may not be empty")
}

provider_name_path(base, provider) := concat("", [base, ".name"]) if is_object(provider)

provider_name_path(base, provider) := base if not is_object(provider)

# --- Istio: one of selector / targetRef / targetRefs -------------------------------------------

present(key) if {
	spec[key] != null
}

go_targets := count([1 | present("selector")]) + count([1 | present("targetRef")]) + count([1 | count(spec.targetRefs) > 0])

crd_targets := count([k | some k in blocked_top; present(k)])

violation contains error("istio.target.exclusive", "spec", "only one of targetRefs or workloadSelector can be set") if {
	go_targets > 1
}

violation contains error("crd.target.exclusive", "spec", "only one of targetRefs or selector can be set") if {
	go_targets <= 1
	crd_targets > 1
}

# --- Istio: a filter expression is not empty ---------------------------------------------------

violation contains v if {
	some i, entry in spec.accessLogging
	entry.filter.expression == ""
	path := sprintf("spec.accessLogging[%d].filter.expression", [i])
	v := error("istio.filter.cel", path, "must be a valid CEL expression")
}

error(rule, path, msg) := {"msg": msg, "details": {"path": path, "rule": rule}}
