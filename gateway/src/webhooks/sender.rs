//! The sender: claims due deliveries with a lease (PostgreSQL: `FOR UPDATE SKIP
//! LOCKED`, so two gateway processes never claim the same row; SQLite: the single
//! writer makes the claim atomic), posts them signed, and records each attempt.
//!
//! Delivery is at least once: a row stays `pending` until an answer is recorded, and
//! a sender that dies mid-flight leaves a lease that expires, after which another
//! claim sends it again with the same `webhook-id`. Deliveries run concurrently (a
//! slow or failing endpoint holds one slot for at most the timeout and never blocks
//! other endpoints). Retries follow the configured schedule with jitter; only 5xx,
//! 408, 429 and transport errors are retried (as BTCPay does); other answers end the
//! delivery as `failed`, redeliverable through the API.

use std::{sync::Arc, time::Duration};

use sqlx::Row;
use stablerail_sdk::webhooks::{Secret, sign};
use tokio::{
    sync::{Semaphore, watch},
    time::Instant,
};

use crate::{
    error::Result,
    state::AppState,
    store::{Backend, new_id, now_ms},
    webhooks::target,
};

/// Longest answer excerpt kept in the attempt log.
const EXCERPT: usize = 512;

const CLAIM_PG: &str = "UPDATE gw_deliveries SET lease_until = $1, lease_owner = $2 WHERE seq IN (SELECT seq FROM gw_deliveries WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_until < $3 ORDER BY next_attempt_at LIMIT $4 FOR UPDATE SKIP LOCKED) RETURNING id";
const CLAIM_SQLITE: &str = "UPDATE gw_deliveries SET lease_until = $1, lease_owner = $2 WHERE seq IN (SELECT seq FROM gw_deliveries WHERE status = 'pending' AND next_attempt_at <= $3 AND lease_until < $3 ORDER BY next_attempt_at LIMIT $4) RETURNING id";

/// One claimed delivery, ready to send.
#[derive(Debug)]
struct Job {
    id: String,
    event_id: String,
    attempts: i64,
    url: String,
    secrets: Vec<String>,
    payload: String,
    enabled: bool,
}

/// Runs a sender until `shutdown` turns true.
pub async fn run(app: AppState, mut shutdown: watch::Receiver<bool>) {
    let owner = new_id("snd");
    let cfg = &app.config.webhooks;
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_millis(cfg.timeout_ms))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("stablerail-gateway webhooks")
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook HTTP client");
            return;
        }
    };
    let slots = Arc::new(Semaphore::new(cfg.concurrency));
    let poll = Duration::from_millis(cfg.poll_ms.max(5));
    loop {
        let free = slots.available_permits();
        let claimed = if free > 0 {
            match claim(&app, &owner, free).await {
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming deliveries failed");
                    Vec::new()
                }
            }
        } else {
            Vec::new()
        };
        let full = claimed.len() == free && free > 0;
        for job in claimed {
            let Ok(permit) = slots.clone().acquire_owned().await else {
                return;
            };
            let app = app.clone();
            let client = client.clone();
            let owner = owner.clone();
            tokio::spawn(async move {
                if let Err(e) = deliver(&app, &client, &owner, job).await {
                    tracing::warn!(error = %e, "recording a delivery failed");
                }
                app.outbox.notify_one();
                drop(permit);
            });
        }
        if full {
            // More may be due: claim again as soon as a slot frees.
            tokio::select! {
                _ = app.outbox.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                _ = shutdown.changed() => return,
            }
            continue;
        }
        tokio::select! {
            _ = app.outbox.notified() => {}
            _ = tokio::time::sleep(poll) => {}
            _ = shutdown.changed() => return,
        }
    }
}

async fn claim(app: &AppState, owner: &str, limit: usize) -> Result<Vec<Job>> {
    let now = now_ms();
    let lease = now + (app.config.webhooks.lease_secs as i64) * 1000;
    let sql = match app.db.backend {
        Backend::Postgres => CLAIM_PG,
        Backend::Sqlite => CLAIM_SQLITE,
    };
    let mut tx = app.db.begin().await?;
    let ids: Vec<String> = sqlx::query(sql)
        .bind(lease)
        .bind(owner)
        .bind(now)
        .bind(limit as i64)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
    tx.commit().await?;
    let mut jobs = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(r) = sqlx::query(
            "SELECT d.id, d.event_id, d.attempts, w.url, w.secret, w.previous_secret, w.previous_until, e.payload, w.enabled FROM gw_deliveries d JOIN gw_webhook_endpoints w ON w.id = d.endpoint_id JOIN gw_events e ON e.id = d.event_id WHERE d.id = $1",
        )
        .bind(&id)
        .fetch_optional(&app.db.pool)
        .await?
        else {
            continue;
        };
        let mut secrets = vec![r.try_get::<String, _>(4)?];
        if let Some(prev) = r.try_get::<Option<String>, _>(5)?
            && r.try_get::<i64, _>(6)? > now
        {
            secrets.push(prev);
        }
        jobs.push(Job {
            id: r.try_get(0)?,
            event_id: r.try_get(1)?,
            attempts: r.try_get(2)?,
            url: r.try_get(3)?,
            secrets,
            payload: r.try_get(7)?,
            enabled: r.try_get::<i64, _>(8)? == 1,
        });
    }
    Ok(jobs)
}

/// What one attempt came to.
struct Outcome {
    status: Option<u16>,
    error: Option<String>,
    excerpt: Option<String>,
}

impl Outcome {
    fn retryable(&self) -> bool {
        match self.status {
            None => true,
            Some(s) => s >= 500 || s == 408 || s == 429,
        }
    }
    fn success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

async fn attempt(app: &AppState, client: &reqwest::Client, job: &Job) -> Outcome {
    let fail = |e: String| Outcome {
        status: None,
        error: Some(e),
        excerpt: None,
    };
    if !job.enabled {
        return fail("endpoint disabled".into());
    }
    if let Err(e) = target::check(&job.url, app.config.webhooks.allow_private_targets).await {
        return fail(e.to_string());
    }
    let ts = now_ms() / 1000;
    let body = job.payload.as_bytes();
    let signature = job
        .secrets
        .iter()
        .filter_map(|s| Secret::parse(s).ok())
        .map(|s| sign(&s, &job.event_id, ts, body))
        .collect::<Vec<_>>()
        .join(" ");
    let sent = client
        .post(&job.url)
        .header("content-type", "application/json")
        .header("webhook-id", &job.event_id)
        .header("webhook-timestamp", ts.to_string())
        .header("webhook-signature", signature)
        .body(job.payload.clone())
        .send()
        .await;
    match sent {
        Err(e) => fail(e.without_url().to_string()),
        Ok(resp) => {
            let status = resp.status().as_u16();
            // The body counts against the same timeout; a slow body is a failure.
            let (excerpt, error) = match resp.bytes().await {
                Ok(b) => {
                    let text = String::from_utf8_lossy(&b[..b.len().min(EXCERPT)]).into_owned();
                    (Some(text), None)
                }
                Err(e) => (None, Some(e.without_url().to_string())),
            };
            if error.is_some() {
                return Outcome {
                    status: None,
                    error,
                    excerpt,
                };
            }
            Outcome {
                status: Some(status),
                error: None,
                excerpt,
            }
        }
    }
}

async fn deliver(app: &AppState, client: &reqwest::Client, owner: &str, job: Job) -> Result<()> {
    let started = now_ms();
    let clock = Instant::now();
    let out = attempt(app, client, &job).await;
    let latency = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
    let attempts = job.attempts + 1;
    let now = now_ms();
    let (status, next, delivered) = if out.success() {
        ("delivered", now, Some(now))
    } else if out.retryable() && job.enabled {
        match app.config.webhooks.retry_wait(job.attempts as usize) {
            Some(wait) => {
                let base = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                let jitter_max = base * (app.config.webhooks.jitter_percent as i64) / 100;
                let jitter = if jitter_max > 0 {
                    rand::random_range(0..=jitter_max)
                } else {
                    0
                };
                ("pending", now + base + jitter, None)
            }
            None => ("failed", now, None),
        }
    } else {
        ("failed", now, None)
    };
    let mut tx = app.db.begin().await?;
    sqlx::query(
        "INSERT INTO gw_attempts (delivery_id, attempt, started_at, latency_ms, http_status, error, response_excerpt) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&job.id)
    .bind(attempts)
    .bind(started)
    .bind(latency)
    .bind(out.status.map(i64::from))
    .bind(out.error.clone())
    .bind(out.excerpt.clone())
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE gw_deliveries SET status = $1, attempts = $2, next_attempt_at = $3, lease_until = 0, lease_owner = NULL, delivered_at = $4 WHERE id = $5 AND lease_owner = $6",
    )
    .bind(status)
    .bind(attempts)
    .bind(next)
    .bind(delivered)
    .bind(&job.id)
    .bind(owner)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::debug!(delivery = %job.id, status, http = ?out.status, latency, "webhook attempt");
    Ok(())
}
