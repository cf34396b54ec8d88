//! An open-loop load generator: a fixed request rate over a fixed number of
//! keep-alive connections, with latency measured from each request's
//! scheduled send time (so a slow server cannot hide its queueing).
//!
//! `loadgen URL BODY_FILE RATE CONNS SECONDS` prints
//! `sent=… ok=… errors=… p50_us=… p90_us=… p99_us=… max_us=…`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use axum::http;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, body_file, rate, conns, seconds] = args.as_slice() else {
        bail!("usage: loadgen URL BODY_FILE RATE CONNS SECONDS");
    };
    let body =
        Bytes::from(std::fs::read(body_file).with_context(|| format!("cannot read {body_file}"))?);
    let rate: f64 = rate.parse().context("RATE")?;
    let conns: usize = conns.parse().context("CONNS")?;
    let seconds: f64 = seconds.parse().context("SECONDS")?;
    if rate <= 0.0 || conns == 0 || seconds <= 0.0 {
        bail!("RATE, CONNS and SECONDS must be positive");
    }
    let interval = Duration::from_secs_f64(conns as f64 / rate);
    let per_conn = (seconds * rate / conns as f64).ceil() as usize;
    let start = Instant::now() + Duration::from_millis(200);
    let mut tasks = Vec::new();
    for i in 0..conns {
        let url = url.clone();
        let body = body.clone();
        let offset = interval.mul_f64(i as f64 / conns as f64);
        tasks.push(tokio::spawn(async move {
            // One client per connection: its pool holds that connection.
            let client = wasmgate::http_client::build(None)?;
            let mut latencies = Vec::with_capacity(per_conn);
            let mut errors = 0usize;
            for k in 0..per_conn {
                let scheduled = start + offset + interval.mul_f64(k as f64);
                // When the previous answer came after this send was due, the
                // wait counts (the server made us late). Otherwise count from
                // the actual send: the timer wakes up to a millisecond late.
                let behind = Instant::now() > scheduled;
                tokio::time::sleep_until(scheduled.into()).await;
                let origin = if behind { scheduled } else { Instant::now() };
                let request = http::Request::post(&url)
                    .header("content-type", "application/json")
                    .body(Full::new(body.clone()))?;
                let ok = match client.request(request).await {
                    Ok(resp) => {
                        resp.status().is_success() && resp.into_body().collect().await.is_ok()
                    }
                    Err(_) => false,
                };
                if ok {
                    latencies.push(origin.elapsed());
                } else {
                    errors += 1;
                }
            }
            Ok::<_, anyhow::Error>((latencies, errors))
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for task in tasks {
        let (latencies, errs) = task.await??;
        all.extend(latencies);
        errors += errs;
    }
    all.sort();
    let pct = |p: f64| -> u128 {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .map(|d| d.as_micros())
            .unwrap_or(0)
    };
    println!(
        "sent={} ok={} errors={} p50_us={} p90_us={} p99_us={} max_us={}",
        all.len() + errors,
        all.len(),
        errors,
        pct(0.50),
        pct(0.90),
        pct(0.99),
        all.last().map(|d| d.as_micros()).unwrap_or(0)
    );
    Ok(())
}
