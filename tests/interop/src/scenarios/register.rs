//! Scenario 1: registration with digest authentication through Kamailio: MD5 with
//! qop=auth, SHA-256 (a second instance started with `AUTH_ALGO="SHA-256"`), refresh
//! before expiry, deregistration on stop (checked in Kamailio's location table with
//! `kamcmd ul.dump`), and a wrong password ending in `PhoneStatus::Failed` with the error
//! after the configured number of attempts.

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use voip::{Error, PhoneStatus, VoipPhone};

use super::{Ctx, Scenario, SipRecorder, header};
use crate::peers::kamailio::{Kamailio, KamailioOpts, password};

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "register_md5",
            "REGISTER with MD5 digest qop=auth at Kamailio, refresh, deregister on stop",
            60,
            |ctx| Box::pin(register_md5(ctx)),
        ),
        Scenario::new(
            "register_sha256",
            "REGISTER answered with SHA-256 digest (Kamailio auth algorithm=SHA-256)",
            40,
            |ctx| Box::pin(register_sha256(ctx)),
        ),
        Scenario::new(
            "register_interval_too_brief",
            "Expires below Kamailio's min_expires: 423 with Min-Expires, the phone retries with it (RFC 3261 10.2.8)",
            30,
            |ctx| Box::pin(register_interval_too_brief(ctx)),
        ),
        Scenario::new(
            "register_sipp_control",
            "control: SIPp's own digest REGISTER passes at the same Kamailio, a wrong password gets 403",
            30,
            |ctx| Box::pin(register_sipp_control(ctx)),
        ),
        Scenario::new(
            "register_wrong_password",
            "wrong password: 403 from Kamailio, PhoneStatus::Failed after the threshold",
            40,
            |ctx| Box::pin(register_wrong_password(ctx)),
        ),
    ]
}

/// Checks the Authorization our phone sent: algorithm, qop, and the fields RFC 7616 needs.
fn check_authorization(rec: &SipRecorder, algorithm: &str) -> Result<String> {
    let challenges = rec.received_responses(401, "REGISTER");
    let challenge = challenges
        .first()
        .context("Kamailio sent no 401 challenge")?;
    let www = header(challenge, "WWW-Authenticate").context("401 without WWW-Authenticate")?;
    ensure!(
        www.contains("qop=\"auth\""),
        "challenge without qop=auth: {www}"
    );
    let registers = rec.sent_requests("REGISTER");
    let with_auth = registers
        .iter()
        .find_map(|m| header(m, "Authorization"))
        .context("no REGISTER carried Authorization")?;
    for field in [
        "username=\"",
        "realm=\"",
        "nonce=\"",
        "uri=\"",
        "response=\"",
        "cnonce=\"",
        "nc=00000001",
        "qop=auth",
    ] {
        ensure!(
            with_auth.contains(field),
            "Authorization lacks {field}: {with_auth}"
        );
    }
    if algorithm == "MD5" {
        ensure!(
            !with_auth.contains("algorithm=") || with_auth.contains("algorithm=MD5"),
            "Authorization with a non-MD5 algorithm: {with_auth}"
        );
    } else {
        ensure!(
            www.contains(&format!("algorithm={algorithm}")),
            "Kamailio did not challenge with {algorithm}: {www}"
        );
        ensure!(
            with_auth.contains(&format!("algorithm={algorithm}")),
            "Authorization does not say algorithm={algorithm}: {with_auth}"
        );
    }
    Ok(with_auth.to_owned())
}

async fn registered_phone(
    ctx: &mut Ctx,
    kam: &Kamailio,
    user: &str,
    expires: u32,
    rec: &SipRecorder,
) -> Result<VoipPhone> {
    let params = ctx
        .phone_params(user, 10)?
        .server("127.0.0.1", kam.port)
        .password(user, password(user))
        .register_expires(expires)
        .sip_layer(rec.clone());
    let phone = ctx.start_phone(params).await?;
    ensure!(
        phone.get_status() == PhoneStatus::Registered,
        "status after start: {:?}",
        phone.get_status()
    );
    Ok(phone)
}

async fn register_md5(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let expires = 10;
    let phone = registered_phone(ctx, &kam, "alice", expires, &rec).await?;
    let port = phone.local_addr().context("no local address")?.port();
    let bindings = kam
        .wait_bindings("alice", 1, Duration::from_secs(3))
        .await?;
    ensure!(
        bindings[0].address.contains(&format!(":{port}")),
        "Kamailio's binding {} is not our port {port}",
        bindings[0].address
    );
    check_authorization(&rec, "MD5")?;
    // Refresh: the binding must be renewed (a new CSeq) before it expires.
    let first = bindings[0].cseq;
    let t0 = Instant::now();
    let refreshed = loop {
        let b = kam.bindings_of("alice").await?;
        if let Some(b) = b.first()
            && b.cseq > first
        {
            break b.clone();
        }
        if t0.elapsed() > Duration::from_secs(u64::from(expires)) {
            bail!("no refresh within {expires}s (bindings {b:?})");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    ensure!(
        refreshed.call_id == bindings[0].call_id,
        "refresh used a new Call-ID"
    );
    let refresh_after = t0.elapsed().as_secs_f64();
    ensure!(
        phone.get_status() == PhoneStatus::Registered,
        "status {:?}",
        phone.get_status()
    );
    phone.stop().await;
    kam.wait_bindings("alice", 0, Duration::from_secs(3))
        .await
        .context("binding left after stop")?;
    ensure!(
        phone.get_status() == PhoneStatus::Inactive,
        "status after stop {:?}",
        phone.get_status()
    );
    let unregister = rec
        .sent_requests("REGISTER")
        .into_iter()
        .last()
        .context("no REGISTER")?;
    let expires_zero = header(&unregister, "Expires") == Some("0")
        || header(&unregister, "Contact").is_some_and(|c| c.contains("expires=0"));
    ensure!(
        expires_zero,
        "last REGISTER does not remove the binding: {unregister}"
    );
    Ok(format!(
        "registered, refreshed (CSeq {} -> {}) after {refresh_after:.1}s, removed on stop",
        first, refreshed.cseq
    ))
}

async fn register_sha256(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(
        ctx,
        KamailioOpts {
            algorithm: Some("SHA-256"),
            ..KamailioOpts::default()
        },
    )
    .await?;
    let rec = SipRecorder::default();
    let phone = registered_phone(ctx, &kam, "bob", 60, &rec).await?;
    kam.wait_bindings("bob", 1, Duration::from_secs(3)).await?;
    check_authorization(&rec, "SHA-256")?;
    phone.stop().await;
    kam.wait_bindings("bob", 0, Duration::from_secs(3))
        .await
        .context("binding left after stop")?;
    Ok("SHA-256 challenge answered, registered, removed on stop".into())
}

async fn register_wrong_password(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let rec = SipRecorder::default();
    let threshold = 2;
    let params = ctx
        .phone_params("carol", 10)?
        .server("127.0.0.1", kam.port)
        .password("carol", "not-carols-password")
        .register_failure_threshold(threshold)
        .register_retry_interval(Duration::from_millis(300))
        .sip_layer(rec.clone());
    let phone = VoipPhone::new(params.build()?)?;
    let t0 = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(20), phone.start())
        .await
        .context("start() did not return within 20s")?;
    let took = t0.elapsed().as_secs_f64();
    match &result {
        Err(Error::InvalidAccountInfo(_)) => {}
        other => bail!("start() returned {other:?}, expected InvalidAccountInfo"),
    }
    ensure!(
        phone.get_status() == PhoneStatus::Failed,
        "status {:?}",
        phone.get_status()
    );
    let forbidden = rec.received_responses(403, "REGISTER").len();
    let with_auth = rec
        .sent_requests("REGISTER")
        .iter()
        .filter(|m| header(m, "Authorization").is_some())
        .count();
    ensure!(
        forbidden == threshold as usize && with_auth == threshold as usize,
        "threshold {threshold}: {with_auth} REGISTERs with credentials, {forbidden} 403s"
    );
    kam.wait_bindings("carol", 0, Duration::from_secs(1))
        .await?;
    Ok(format!(
        "{forbidden} x 403 then Failed after {took:.1}s: {}",
        result.err().map(|e| e.to_string()).unwrap_or_default()
    ))
}

async fn register_interval_too_brief(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(
        ctx,
        KamailioOpts {
            reject_brief_expires: true,
            ..KamailioOpts::default()
        },
    )
    .await?;
    let rec = SipRecorder::default();
    // kamailio.cfg: min_expires 10.
    let phone = registered_phone(ctx, &kam, "dave", 5, &rec).await?;
    let too_brief = rec.received_responses(423, "REGISTER");
    let first = too_brief.first().context("Kamailio sent no 423")?;
    let min = header(first, "Min-Expires")
        .context("423 without Min-Expires")?
        .to_owned();
    let b = kam.wait_bindings("dave", 1, Duration::from_secs(3)).await?;
    let expires: u32 = b[0].expires.parse().unwrap_or(0);
    ensure!(
        (8..=10).contains(&expires),
        "binding expires in {expires}s after the 423 (Min-Expires {min})"
    );
    phone.stop().await;
    kam.wait_bindings("dave", 0, Duration::from_secs(3)).await?;
    Ok(format!(
        "asked 5 s, got 423 Min-Expires {min}, registered for {expires} s"
    ))
}

/// The fixture checked with an independent client: if SIPp cannot register, a failure of
/// our phone says nothing about our phone.
async fn register_sipp_control(ctx: &mut Ctx) -> Result<String> {
    use crate::peers::sipp::SippRun;
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let ok = SippRun::new(ctx, "sipp_ok", "register.xml")
        .remote(kam.addr())
        .service("alice")
        .arg("-au")
        .arg("alice")
        .arg("-ap")
        .arg(password("alice"))
        .timeout(Duration::from_secs(10))
        .run(ctx)
        .await?;
    ok.expect_clean(1)?;
    kam.wait_bindings("alice", 1, Duration::from_secs(2))
        .await?;
    let bad = SippRun::new(ctx, "sipp_bad", "register.xml")
        .remote(kam.addr())
        .service("bob")
        .arg("-au")
        .arg("bob")
        .arg("-ap")
        .arg("wrong")
        .timeout(Duration::from_secs(10))
        .run(ctx)
        .await?;
    ensure!(
        bad.exit_code == 1 && bad.failed == 1 && bad.successful == 0,
        "a wrong password did not fail SIPp's REGISTER: {}",
        bad.summary()
    );
    kam.wait_bindings("bob", 0, Duration::from_secs(1)).await?;
    Ok(format!(
        "right password: {}; wrong: {}",
        ok.summary(),
        bad.summary()
    ))
}
