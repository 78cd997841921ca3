//! `parley serve`: the database opened, the first admin (or, without Meta credentials, the
//! simulator and its demo team) created, then the web server.

use super::*;

pub(super) async fn serve(mut config: Config) -> CliResult {
    let store = store::connect(&config.database_url)
        .await
        .map_err(|e| e.to_string())?;
    let sandbox = match config.whatsapp.access_token {
        Some(_) => {
            create_first_admin(&store).await?;
            None
        }
        None => Some(start_sandbox(&mut config, &store).await?),
    };
    let simulator = sandbox.as_ref().map(|(sim, _)| sim.clone());
    let store_for_seed = store.clone();
    let parts = crate::Parts {
        sandbox: simulator,
        ..crate::Parts::new(store)
    };
    let clock = parts.clock.clone();
    let app = crate::Application::build_with(config, parts)
        .await
        .map_err(|e| e.to_string())?;
    if let Some((sim, first_run)) = sandbox {
        let addr = app.local_addr();
        let host = if addr.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            addr.ip().to_string()
        };
        sim.set_webhook_url(format!("http://{host}:{}/webhooks/whatsapp", addr.port()));
        if first_run {
            sandbox::seed_conversations(&sim);
            sandbox::seed_number_history(&sim);
            let (store, clock) = (store_for_seed.clone(), clock.clone());
            tokio::spawn(async move {
                crate::service::sandbox::seed_teamwork(&store, &clock).await;
            });
        }
        sandbox::spawn_traffic(&sim);
    }
    app.serve().await.map_err(|e| e.to_string())
}

/// No Meta credentials: run against the built-in simulator, with a demo workspace. Returns the
/// simulator and whether this is the workspace's first start.
async fn start_sandbox(
    config: &mut Config,
    store: &SharedStore,
) -> Result<(sandbox::Simulator, bool), String> {
    let app_secret = config
        .whatsapp
        .app_secret
        .as_ref()
        .map(|s| s.expose().to_owned())
        .unwrap_or_else(random_secret);
    let access_token = random_secret();
    let mut sim_config = sandbox::SimulatorConfig::new(app_secret.clone(), access_token.clone());
    sim_config.speed = config.sandbox_speed;
    // The simulated number's throughput tier matches the rate Parley is configured to use.
    sim_config.messages_per_second = config.send_rate.unwrap_or(80) as usize;
    let sim = sandbox::Simulator::new(sim_config);
    let addr = sim
        .start(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .map_err(|e| format!("cannot start the WhatsApp simulator: {e}"))?;
    config.whatsapp.app_secret = Some(Secret::new(app_secret));
    config.whatsapp.access_token = Some(Secret::new(access_token));
    config.whatsapp.graph_url = format!("http://{addr}");
    config.whatsapp.waba_id = Some(sandbox::DEMO_WABA_ID.parse().expect("a numeric id"));
    config.whatsapp.app_id = Some(sandbox::DEMO_APP_ID.parse().expect("a numeric id"));
    println!(
        "Sandbox mode: no WA_ACCESS_TOKEN is set, so Parley talks to its built-in WhatsApp simulator (http://{addr})."
    );
    let first_run = create_demo_team(store).await?;
    Ok((sim, first_run))
}

/// The demo team, created once; its passwords are printed only then.
async fn create_demo_team(store: &SharedStore) -> Result<bool, String> {
    let admin = Email::parse("admin@demo.parley").expect("a valid address");
    if store
        .team
        .credentials_by_email(&admin)
        .await
        .map_err(|e| e.to_string())?
        .is_some()
    {
        println!("Demo login: {admin} (its password was printed at the first start)");
        return Ok(false);
    }
    for (email, name, role) in [
        ("admin@demo.parley", "Demo Admin", Role::Admin),
        ("agent@demo.parley", "Demo Agent", Role::Agent),
    ] {
        let password = generate_password();
        let password_hash = crate::password_hasher()
            .hash(NewPassword::parse(&password)?)
            .await
            .map_err(|e| e.to_string())?;
        let email = Email::parse(email).expect("a valid address");
        let name = DisplayName::parse(name).expect("a valid name");
        let user = store
            .team
            .create_user(
                NewUser {
                    email: email.clone(),
                    name,
                    role,
                    password_hash: Some(password_hash),
                },
                Millis::now(),
            )
            .await
            .map_err(|e| e.to_string())?;
        record_added(store, &user, &Origin::sandbox()).await;
        println!("Demo login: {email} / {password}");
    }
    Ok(true)
}

pub(super) fn random_secret() -> String {
    use rand::RngCore as _;
    let mut bytes = [0u8; 24];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A new installation has nobody to sign in as: create an admin with a generated password and
/// print it once (`PARLEY_ADMIN_EMAIL` picks the address).
async fn create_first_admin(store: &SharedStore) -> CliResult {
    if !store
        .team
        .list_users()
        .await
        .map_err(|e| e.to_string())?
        .is_empty()
    {
        return Ok(());
    }
    let email = std::env::var("PARLEY_ADMIN_EMAIL").unwrap_or_else(|_| "admin@parley.local".into());
    let email = Email::parse(&email).map_err(|e| format!("PARLEY_ADMIN_EMAIL is invalid: {e}"))?;
    let password = generate_password();
    let password_hash = crate::password_hasher()
        .hash(NewPassword::parse(&password)?)
        .await
        .map_err(|e| e.to_string())?;
    let name = DisplayName::parse("Admin").map_err(|e| e.to_string())?;
    let user = store
        .team
        .create_user(
            NewUser {
                email: email.clone(),
                name,
                role: Role::Admin,
                password_hash: Some(password_hash),
            },
            Millis::now(),
        )
        .await
        .map_err(|e| e.to_string())?;
    record_added(store, &user, &Origin::command_line()).await;
    println!("First admin created. Sign in as: {email} / {password}");
    Ok(())
}

fn generate_password() -> String {
    use rand::Rng as _;
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..20)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}
