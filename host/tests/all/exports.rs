//! The runtime type-checks a plugin's exports once (on its first instance)
//! and then calls them unchecked: a component that exports the filter
//! interface by name but with the wrong function types must be refused on
//! every instantiation, never called.

use std::sync::Arc;

use wasmgate::kv::KvStore;
use wasmgate::runtime::{FilterInstance, Limits, PluginEnv, PluginKind, PluginSource, Runtime};

/// `wasmgate:plugin/filter@0.1.0` with every export present and well-formed
/// for the component model, but `on-request` takes nothing and returns a
/// `u32` instead of `(request-context, request) -> request-action`.
const WRONG_TYPES: &str = r#"
(component
  (type $sf (resource (rep i32)))
  (core func $sf-new (canon resource.new $sf))
  (core module $m
    (import "host" "sf-new" (func $sf-new (param i32) (result i32)))
    (func (export "zero") (result i32) i32.const 0)
    (func (export "ctor") (param i32) (result i32) (call $sf-new (i32.const 7)))
    (func (export "self") (param i32) (result i32) i32.const 0)
  )
  (core instance $host (export "sf-new" (func $sf-new)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func $zero (result u32) (canon lift (core func $i "zero")))
  (func $ctor (param "x" u32) (result (own $sf)) (canon lift (core func $i "ctor")))
  (func $method (param "self" (borrow $sf)) (result u32) (canon lift (core func $i "self")))
  (component $shape
    (import "sf" (type $sf-in (sub resource)))
    (import "zero" (func $zero (result u32)))
    (import "ctor" (func $ctor (param "x" u32) (result (own $sf-in))))
    (import "method" (func $method (param "self" (borrow $sf-in)) (result u32)))
    (export $sf-out "stream-filter" (type $sf-in))
    (export "init" (func $zero))
    (export "on-request" (func $zero))
    (export "on-response" (func $zero))
    (export "[constructor]stream-filter" (func $ctor)
      (func (param "x" u32) (result (own $sf-out))))
    (export "[method]stream-filter.on-events" (func $method)
      (func (param "self" (borrow $sf-out)) (result u32)))
    (export "[method]stream-filter.finish" (func $method)
      (func (param "self" (borrow $sf-out)) (result u32)))
  )
  (instance $filter (instantiate $shape
    (with "sf" (type $sf))
    (with "zero" (func $zero))
    (with "ctor" (func $ctor))
    (with "method" (func $method))
  ))
  (export "wasmgate:plugin/filter@0.1.0" (instance $filter))
)
"#;

#[tokio::test]
async fn exports_of_the_wrong_type_are_refused_on_every_instance() {
    let bytes = wat::parse_str(WRONG_TYPES).expect("the test component parses");
    let runtime = Runtime::new(Limits::default(), None).expect("runtime");
    // It links: the names are all there.
    let plugin = runtime
        .load("wrong-types", &bytes, PluginSource::Bundled)
        .expect("a component exporting the filter interface links");
    assert_eq!(plugin.kind, PluginKind::Filter);
    let env = Arc::new(PluginEnv {
        name: "wrong-types".into(),
        config: "{}".into(),
        kv: Arc::new(KvStore::default()),
        http_hosts: Vec::new(),
    });
    // Every instantiation is refused by the type check, so no call is ever
    // made with types the component does not have.
    for attempt in 0..3 {
        let error = match FilterInstance::new(&plugin, env.clone(), runtime.limits()).await {
            Ok(_) => panic!("attempt {attempt}: an export of the wrong type was accepted"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains("wrong-types"), "{error}");
        assert!(error.contains("type"), "attempt {attempt}: {error}");
    }
}
