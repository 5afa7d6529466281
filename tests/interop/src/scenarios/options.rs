//! Scenario 7 (our part): OPTIONS from SIPp, straight to our phone and through Kamailio to
//! its registered Contact, gets 200 with INVITE in Allow (pyVoIP answers nothing); MESSAGE
//! from SIPp arrives with its text.

use anyhow::Result;

use super::{Ctx, Scenario};
use crate::peers::kamailio::{Kamailio, KamailioOpts, password};
use crate::peers::sipp::SippRun;

pub(crate) fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario::new(
            "options_direct",
            "SIPp OPTIONS to our phone gets 200 with INVITE in Allow",
            30,
            |ctx| Box::pin(options_direct(ctx)),
        ),
        Scenario::new(
            "message_from_sipp",
            "SIPp's MESSAGEs through Kamailio reach next_message() with their UTF-8 text, answered 200",
            30,
            |ctx| Box::pin(message_from_sipp(ctx)),
        ),
        Scenario::new(
            "options_via_kamailio",
            "SIPp OPTIONS to alice through Kamailio reaches our registered phone, 200",
            30,
            |ctx| Box::pin(options_via_kamailio(ctx)),
        ),
    ]
}

async fn options_direct(ctx: &mut Ctx) -> Result<String> {
    let params = ctx.phone_params("alice", 4)?;
    let phone = ctx.start_phone(params).await?;
    let addr = phone.local_addr().expect("started");
    let stats = SippRun::new(ctx, "sipp", "options.xml")
        .remote(addr)
        .service("alice")
        .calls(3)
        .timeout(std::time::Duration::from_secs(15))
        .run(ctx)
        .await?;
    stats.expect_clean(3)?;
    phone.stop().await;
    Ok(format!("3 OPTIONS answered 200; {}", stats.summary()))
}

async fn options_via_kamailio(ctx: &mut Ctx) -> Result<String> {
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let params = ctx
        .phone_params("alice", 4)?
        .server("127.0.0.1", kam.port)
        .password("alice", password("alice"));
    let phone = ctx.start_phone(params).await?;
    let stats = SippRun::new(ctx, "sipp", "options.xml")
        .remote(kam.addr())
        .service("alice")
        .calls(3)
        .timeout(std::time::Duration::from_secs(15))
        .run(ctx)
        .await?;
    stats.expect_clean(3)?;
    phone.stop().await;
    Ok(format!(
        "3 OPTIONS relayed and answered 200; {}",
        stats.summary()
    ))
}

async fn message_from_sipp(ctx: &mut Ctx) -> Result<String> {
    use anyhow::{Context as _, ensure};
    let kam = Kamailio::start(ctx, KamailioOpts::default()).await?;
    let params = ctx
        .phone_params("alice", 4)?
        .server("127.0.0.1", kam.port)
        .password("alice", password("alice"));
    let phone = ctx.start_phone(params).await?;
    let stats = SippRun::new(ctx, "sipp", "message.xml")
        .remote(kam.addr())
        .service("alice")
        .calls(2)
        .timeout(std::time::Duration::from_secs(15))
        .run(ctx)
        .await?;
    stats.expect_clean(2)?;
    let mut texts = Vec::new();
    for _ in 0..2 {
        let m = tokio::time::timeout(std::time::Duration::from_secs(3), phone.next_message())
            .await
            .context("MESSAGE not delivered to next_message()")?
            .context("phone stopped")?;
        ensure!(
            m.content_type.starts_with("text/plain"),
            "content type {}",
            m.content_type
        );
        ensure!(m.from.contains("sipp@"), "from {}", m.from);
        texts.push(m.text().trim_end().to_owned());
    }
    texts.sort();
    ensure!(
        texts == ["sipp says hello 1 ✓", "sipp says hello 2 ✓"],
        "texts {texts:?}"
    );
    phone.stop().await;
    Ok(format!("{texts:?}; {}", stats.summary()))
}
