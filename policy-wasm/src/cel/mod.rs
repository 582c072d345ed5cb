//! CEL: parser, checker and evaluator over Envoy/Istio attributes (see issue 4).
