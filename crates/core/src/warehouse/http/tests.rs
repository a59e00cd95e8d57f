use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;

use super::*;

/// A server on loopback answering each connection with the next of `answers` (raw HTTP/1.1
/// head and body, the connection closed after it), the last one again when they run out.
/// Returns its URL and the count of requests it received.
async fn serve(answers: Vec<&'static str>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let answer = answers[n.min(answers.len() - 1)];
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            let _ = socket.write_all(answer.as_bytes()).await;
            let _ = socket.shutdown().await;
        }
    });
    (url, count)
}

const OK: &str = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
const BUSY_1S: &str = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const BUSY_1H: &str = "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 3600\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
const DOWN: &str = "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 0\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown";
const GONE: &str = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

fn net(max_wait: Duration) -> Net {
    Net {
        extra_roots: Vec::new(),
        max_wait,
    }
}

async fn get(http: &Http, url: &str) -> Result<reqwest::Response, WarehouseError> {
    http.send("the test", &mut |client, _| Ok(client.get(url)))
        .await
}

#[tokio::test]
async fn a_429_pauses_for_its_retry_after_and_spends_no_attempt() {
    // Five faults leave one attempt of six: were the 429 one, the OK would never be asked for.
    let answers = vec![DOWN; 5].into_iter().chain([BUSY_1S, OK]).collect();
    let (url, count) = serve(answers).await;
    let http = Http::new(&net(Duration::from_secs(60))).expect("http");
    let started = Instant::now();
    let response = get(&http, &url).await.expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(count.load(Ordering::SeqCst), 7);
    // The pause asked for was waited out.
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    // The pace was cut: the rate is below where it started.
    let report = http.pace().report(Instant::now());
    assert!(report.slowdowns >= 1, "{report:?}");
    assert!(report.lowest < MAX_RATE, "{report:?}");
}

#[tokio::test]
async fn a_pause_the_budget_cannot_cover_is_not_made() {
    let (url, count) = serve(vec![BUSY_1H, OK]).await;
    let http = Http::new(&net(Duration::from_secs(60))).expect("http");
    let started = Instant::now();
    let Err(WarehouseError::Unreachable(message)) = get(&http, &url).await else {
        panic!("a 429 asking for an hour should stop the read");
    };
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert!(message.contains("wait 3600 s"), "{message}");
    assert!(message.contains("hint: "), "{message}");
}

#[tokio::test]
async fn a_503_is_retried_until_the_attempts_run_out() {
    let (url, count) = serve(vec![DOWN]).await;
    let http = Http::new(&net(Duration::from_secs(60))).expect("http");
    let response = get(&http, &url).await.expect("the last answer");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        count.load(Ordering::SeqCst),
        Policy::default().max_attempts as usize
    );
}

#[tokio::test]
async fn a_503_that_passes_gives_the_answer_after_it() {
    let (url, count) = serve(vec![DOWN, DOWN, OK]).await;
    let http = Http::new(&net(Duration::from_secs(60))).expect("http");
    let response = get(&http, &url).await.expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn other_statuses_are_the_callers_to_read() {
    let (url, count) = serve(vec![GONE, OK]).await;
    let http = Http::new(&net(Duration::from_secs(60))).expect("http");
    let response = get(&http, &url).await.expect("an answer");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_host_that_refuses_twice_is_unreachable() {
    // A port nothing listens on: bind one, then let it go.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    drop(listener);
    let http = Http::new(&net(Duration::from_secs(60))).expect("http");
    let mut attempts = 0;
    let result = http
        .send("the test", &mut |client, attempt| {
            attempts = attempt;
            Ok(client.get(&url))
        })
        .await;
    assert!(matches!(result, Err(WarehouseError::Unreachable(_))));
    assert_eq!(attempts, 2);
}

#[tokio::test]
async fn messages_quote_no_registered_token() {
    let http = Http::new(&Net::default()).expect("http");
    http.scrubber().register("tok-3141592653");
    let message = http.message(
        StatusCode::UNAUTHORIZED,
        Some("bad token tok-3141592653 for user"),
    );
    assert!(!message.contains("tok-3141592653"), "{message}");
    assert!(message.starts_with("HTTP 401: "), "{message}");
    assert_eq!(
        http.message(StatusCode::BAD_GATEWAY, None),
        format!("HTTP 502: {}", quoted("HTTP 502 Bad Gateway"))
    );
}

#[tokio::test]
async fn a_gzipped_body_is_read_uncompressed() {
    use std::io::Write as _;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(b"{\"rows\":1}").expect("gzip");
    let gz = gz.finish().expect("gzip");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}/", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 4096];
        let _ = socket.read(&mut buf).await;
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            gz.len()
        );
        let _ = socket.write_all(head.as_bytes()).await;
        let _ = socket.write_all(&gz).await;
    });
    let http = Http::new(&Net::default()).expect("http");
    let response = get(&http, &url).await.expect("an answer");
    let (status, body) = http.body(response, "the test").await.expect("a body");
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, b"{\"rows\":1}");
}

#[test]
fn a_segment_encodes_everything_a_path_could_misread() {
    assert_eq!(segment("01b2-c3d4_e.f~"), "01b2-c3d4_e.f~");
    assert_eq!(segment("../x?y#z/ w"), "..%2Fx%3Fy%23z%2F%20w");
}

#[tokio::test]
async fn a_rate_limit_the_caller_found_is_paced_as_a_429_and_charged_to_the_budget() {
    // BigQuery's 403 rateLimitExceeded: only the caller, reading the body, can tell.
    let (url, count) = serve(vec![OK]).await;
    let http = Http::new(&net(Duration::from_secs(60))).expect("http");
    let sent_at = Instant::now();
    http.rate_limited("the test", sent_at, Some(Duration::from_secs(1)))
        .expect("within the budget");
    let started = Instant::now();
    let response = get(&http, &url).await.expect("an answer");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(count.load(Ordering::SeqCst), 1);
    // The next request waited for the pause, and the pace was cut.
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
    assert!(http.pace().report(Instant::now()).slowdowns >= 1);
    // An hour asked for is more than the budget: refused at once, saying so.
    let Err(WarehouseError::Unreachable(message)) =
        http.rate_limited("the test", Instant::now(), Some(Duration::from_secs(3600)))
    else {
        panic!("an hour's pause should stop the read");
    };
    assert!(message.contains("wait budget"), "{message}");
}
