//! The contacts API of a running Parley: attributes admins define, contacts members add and
//! edit (values checked by type, on both engines), the list and its filters, the history of a
//! customer's conversations, the live event, and the CSV export with formulas defused.

use crate::on_both_engines;
use crate::support::{Engine, EventStream, TestApp, eventually, journal_bodies};
use crate::wa;
use parley_app::model::Role;
use serde_json::{Value, json};
use std::time::Duration;

on_both_engines!(
    members_keep_contacts_with_typed_attributes,
    the_list_filters_and_exports_safely,
    a_csv_import_reports_every_row,
    segments_count_and_list_their_contacts,
    an_admin_merges_a_duplicate_and_loses_nothing,
    an_erased_contact_leaves_counts_and_nothing_else,
    an_export_holds_everything_about_the_contact,
    a_member_starts_a_conversation_with_a_contact,
);

async fn members_keep_contacts_with_typed_attributes(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;

    // Admins define attributes; agents may not.
    let tier =
        json!({"key": "tier", "label": "Tier", "type": "list", "options": ["Gold", "Silver"]});
    let (status, created) = admin
        .call("POST", "/api/v1/contact-attributes", Some(tier))
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["type"], "list");
    let credit = json!({"key": "credit", "label": "Credit limit", "type": "number", "agent_editable": false});
    assert_eq!(
        admin
            .call("POST", "/api/v1/contact-attributes", Some(credit))
            .await
            .0,
        201
    );
    let (status, _) = agent
        .call(
            "POST",
            "/api/v1/contact-attributes",
            Some(json!({"key": "x", "type": "text"})),
        )
        .await;
    assert_eq!(status, 403);
    let (status, body) = admin
        .call(
            "POST",
            "/api/v1/contact-attributes",
            Some(json!({"key": "Bad Key", "type": "text"})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, listed) = agent.call("GET", "/api/v1/contact-attributes", None).await;
    assert_eq!(status, 200);
    assert_eq!(listed.as_array().unwrap().len(), 2);

    // An agent adds a contact by phone; the same phone spelt otherwise is the same contact.
    let (status, ana) = agent
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"phone": "+55 11 98765-4321", "name": "Ana", "attributes": {"tier": "gold"}})),
        )
        .await;
    assert_eq!(status, 201, "{ana}");
    assert_eq!(ana["phone"], "+5511987654321");
    assert_eq!(ana["attributes"], json!({"tier": "Gold"}));
    assert_eq!(ana["conversations"], json!([]));
    let again = json!({"phone": "+551187654321"});
    assert_eq!(
        agent.call("POST", "/api/v1/contacts", Some(again)).await.0,
        409
    );
    let (status, body) = agent
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"phone": "020 7946 0958"})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["message"].as_str().unwrap().contains("country code"),
        "{body}"
    );
    let id = ana["id"].as_i64().unwrap();
    let path = format!("/api/v1/contacts/{id}");

    // Values are checked by type, with the attribute and the rule named.
    let (status, body) = agent
        .call(
            "PATCH",
            &path,
            Some(json!({"attributes": {"tier": "Bronze"}})),
        )
        .await;
    assert_eq!(status, 422);
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("Tier (tier)") && message.contains("Gold, Silver"),
        "{message}"
    );
    let (status, _) = agent
        .call("PATCH", &path, Some(json!({"attributes": {"credit": 500}})))
        .await;
    assert_eq!(status, 403, "agents may not set what only admins edit");
    let (status, _) = agent
        .call("PATCH", &path, Some(json!({"attributes": {"nope": 1}})))
        .await;
    assert_eq!(status, 422);
    for bad in [
        json!({"email": "not-an-email"}),
        json!({"time_zone": "Mars/Olympus"}),
        json!({"language": "klingon!"}),
        json!({"labels": ["no-such-label"]}),
    ] {
        assert_eq!(
            agent.call("PATCH", &path, Some(bad.clone())).await.0,
            422,
            "{bad}"
        );
    }

    // Edits arrive live on every member's stream.
    let mut stream = EventStream::new(
        admin
            .http
            .get(admin.base.clone() + "/api/v1/events")
            .bearer_auth(&admin.token)
            .send()
            .await
            .unwrap(),
    );
    app.store
        .labels
        .create(
            &parley_server::store::NewLabel {
                name: parley_app::collaboration::LabelName::parse("vip").unwrap(),
                colour: parley_app::collaboration::Colour::parse("#d97706").unwrap(),
                description: String::new(),
            },
            parley_server::domain::Millis::now(),
        )
        .await
        .unwrap();
    let edit = json!({
        "email": "Ana@Example.com", "company": "Acme", "language": "pt_br",
        "time_zone": "America/Sao_Paulo", "note": "Prefers mornings", "labels": ["VIP"],
        "attributes": {"tier": null},
    });
    let (status, edited) = agent.call("PATCH", &path, Some(edit)).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["email"], "ana@example.com");
    assert_eq!(edited["language"], "pt-BR");
    assert_eq!(edited["labels"], json!(["vip"]));
    assert_eq!(edited["attributes"], json!({}));
    assert_eq!(edited["name"], "Ana", "absent fields keep their value");
    let (status, edited) = admin
        .call(
            "PATCH",
            &path,
            Some(json!({"attributes": {"credit": "1,500"}, "email": null})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(edited["attributes"], json!({"credit": 1500}));
    assert_eq!(edited["email"], Value::Null);
    let live = loop {
        let event = stream
            .next(Duration::from_secs(10))
            .await
            .expect("a live event");
        if event.name == "contact.updated" {
            let data: Value = serde_json::from_str(&event.data).unwrap();
            if data["contact"]["attributes"]["credit"] == 1500 {
                break data;
            }
        }
    };
    assert_eq!(live["contact"]["id"], id);

    // The customer writes (WhatsApp spells the phone without the ninth digit): the message
    // lands on Ana, whose history now shows it, and the inbox calls her by the team's name.
    let now = wa::now_secs();
    app.deliver(&wa::inbound_text(
        wa::NUMBER_A,
        "551187654321",
        "Ana Profile",
        "wamid.c1",
        now,
        "oi",
    ))
    .await;
    // The profile and the history are two reads: wait for a view that has both.
    let contact = eventually("the conversation in the history", || async {
        let (_, contact) = agent.call("GET", &path, None).await;
        (contact["conversations"].as_array()?.len() == 1
            && contact["profile_name"] == "Ana Profile")
            .then_some(contact)
    })
    .await;
    assert_eq!(contact["name"], "Ana", "the team's name stays");
    assert_eq!(contact["conversations"][0]["status"], "open");
    let page = agent.conversations("").await;
    assert_eq!(page["conversations"][0]["contact"]["name"], "Ana");
    assert_eq!(
        agent.call("GET", "/api/v1/contacts/99999", None).await.0,
        404
    );

    // Attributes: label and options change; key and type do not; deleting drops values.
    let (status, _) = admin
        .call(
            "PATCH",
            "/api/v1/contact-attributes/credit",
            Some(json!({"type": "text"})),
        )
        .await;
    assert_eq!(status, 422);
    let (status, changed) = admin
        .call(
            "PATCH",
            "/api/v1/contact-attributes/credit",
            Some(json!({"label": "Credit"})),
        )
        .await;
    assert_eq!((status, changed["label"].as_str()), (200, Some("Credit")));
    assert_eq!(
        agent
            .call("DELETE", "/api/v1/contact-attributes/credit", None)
            .await
            .0,
        403
    );
    assert_eq!(
        admin
            .call("DELETE", "/api/v1/contact-attributes/credit", None)
            .await
            .0,
        204
    );
    let (_, contact) = agent.call("GET", &path, None).await;
    assert_eq!(contact["attributes"], json!({}));
    let (_, audit) = admin
        .call("GET", "/api/v1/audit?action=contact", None)
        .await;
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"contact.attribute_created"),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"contact.attribute_deleted"),
        "{actions:?}"
    );
}

async fn the_list_filters_and_exports_safely(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let vip = json!({"key": "vip", "label": "VIP", "type": "checkbox"});
    assert_eq!(
        admin
            .call("POST", "/api/v1/contact-attributes", Some(vip))
            .await
            .0,
        201
    );
    for i in 0..5 {
        let contact = json!({
            "phone": format!("+1415555010{i}"),
            "name": if i == 0 { "=HYPERLINK(\"http://evil\")".to_owned() } else { format!("Customer {i}") },
            "company": "Acme, Inc.",
            "attributes": {"vip": i % 2 == 0},
        });
        assert_eq!(
            admin
                .call("POST", "/api/v1/contacts", Some(contact))
                .await
                .0,
            201
        );
    }
    let (status, page) = admin.call("GET", "/api/v1/contacts?limit=2", None).await;
    assert_eq!(status, 200);
    assert_eq!(page["contacts"].as_array().unwrap().len(), 2);
    let cursor = page["next_cursor"].as_str().unwrap().to_owned();
    let (_, rest) = admin
        .call(
            "GET",
            &format!("/api/v1/contacts?limit=10&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(rest["contacts"].as_array().unwrap().len(), 3);
    assert_eq!(rest["next_cursor"], Value::Null);
    let (_, vips) = admin
        .call("GET", "/api/v1/contacts?attr.vip=yes", None)
        .await;
    assert_eq!(vips["contacts"].as_array().unwrap().len(), 3);
    let (_, found) = admin
        .call("GET", "/api/v1/contacts?q=customer%203", None)
        .await;
    assert_eq!(found["contacts"][0]["name"], "Customer 3");
    assert_eq!(
        admin
            .call("GET", "/api/v1/contacts?attr.nope=1", None)
            .await
            .0,
        422
    );
    assert_eq!(
        admin
            .call("GET", "/api/v1/contacts?label=nope", None)
            .await
            .0,
        422
    );
    assert_eq!(
        admin
            .call("GET", "/api/v1/contacts?cursor=zz", None)
            .await
            .0,
        422
    );

    let (status, csv) = admin
        .call_text("GET", "/api/v1/contacts/export.csv?attr.vip=true", None)
        .await;
    assert_eq!(status, 200);
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].starts_with("id,name,profile_name,phone,"),
        "{}",
        lines[0]
    );
    assert!(lines[0].ends_with(",attr.vip"));
    assert_eq!(lines.len(), 4, "a header and the three VIPs: {csv}");
    assert!(
        csv.contains(r#""'=HYPERLINK(""http://evil"")""#),
        "a formula is written as text: {csv}"
    );
    assert!(
        csv.contains(",'+14155550100,"),
        "phones keep their + as text"
    );
    assert!(csv.contains("\"Acme, Inc.\""));
    let (status, _) = admin
        .call_text("GET", "/api/v1/contacts/export.csv?attr.vip=maybe", None)
        .await;
    assert_eq!(status, 422);
}

/// Posts a CSV to the import, with optional form fields; the status and the body.
pub async fn import(
    api: &crate::support::ApiClient,
    csv: &str,
    fields: &[(&str, &str)],
    streamed: bool,
) -> (u16, String) {
    let mut form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
            .file_name("contacts.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    let mut request = api
        .http
        .post(format!("{}/api/v1/contacts/import", api.base))
        .bearer_auth(&api.token)
        .multipart(form);
    if streamed {
        request = request.header("accept", "application/x-ndjson");
    }
    let response = request.send().await.unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn a_csv_import_reports_every_row(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;
    let tier =
        json!({"key": "tier", "label": "Tier", "type": "list", "options": ["Gold", "Silver"]});
    assert_eq!(
        admin
            .call("POST", "/api/v1/contact-attributes", Some(tier))
            .await
            .0,
        201
    );
    // Known before the import, typed with Brazil's ninth digit.
    let ana = json!({"phone": "+5511987654321", "name": "Ana", "company": "Kept Ltd"});
    let (_, ana) = admin.call("POST", "/api/v1/contacts", Some(ana)).await;

    let csv = "Name;Telefone;E-mail;Tags;Tier\r\n\
               Ana Souza;+55 11 8765-4321;ana@example.com;VIP, novo;gold\r\n\
               Bruno;(21) 99876-5432;;;silver\r\n\
               Carla;12345;;;\r\n\
               Davi;+55 31 99999-0000;not-an-email;;\r\n\
               Eva;+55 41 98888-7777;;;Bronze\r\n\
               \"=HYPERLINK(\"\"x\"\")\";+55 51 97777-6666;;;\r\n\
               Bruno again;+55 21 99876-5432;bruno@example.com;;\r\n";
    assert_eq!(
        import(&agent, csv, &[], false).await.0,
        403,
        "admins import"
    );
    let (status, body) = import(&admin, csv, &[("country", "br")], false).await;
    assert_eq!(status, 200, "{body}");
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        report["created"], 2,
        "Bruno and the formula-named one: {report}"
    );
    assert_eq!(
        report["updated"], 2,
        "Ana by her phone key, Bruno's second row"
    );
    let rejected: Vec<(i64, String)> = report["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["line"].as_i64().unwrap(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(rejected.iter().map(|r| r.0).collect::<Vec<_>>(), [4, 5, 6]);
    assert!(rejected[0].1.contains("phone"), "{rejected:?}");
    assert!(rejected[1].1.contains("email"), "{rejected:?}");
    assert!(rejected[2].1.contains("Tier (tier)"), "{rejected:?}");
    assert_eq!(report["labels_created"], json!(["VIP", "novo"]));

    let path = format!("/api/v1/contacts/{}", ana["id"]);
    let (_, ana) = admin.call("GET", &path, None).await;
    assert_eq!(ana["name"], "Ana Souza");
    assert_eq!(
        ana["company"], "Kept Ltd",
        "empty cells keep what the contact had"
    );
    assert_eq!(ana["email"], "ana@example.com");
    assert_eq!(ana["labels"], json!(["novo", "VIP"]));
    assert_eq!(ana["attributes"], json!({"tier": "Gold"}));
    let (_, found) = admin.call("GET", "/api/v1/contacts?q=bruno", None).await;
    assert_eq!(
        found["contacts"].as_array().unwrap().len(),
        1,
        "one Bruno: {found}"
    );
    assert_eq!(found["contacts"][0]["phone"], "+5521998765432");
    assert_eq!(found["contacts"][0]["email"], "bruno@example.com");

    // The same file again, streamed: progress, then the report; nothing doubles.
    let (status, body) = import(&admin, csv, &[("country", "BR")], true).await;
    assert_eq!(status, 200);
    let lines: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.first().unwrap()["done"], 0);
    assert_eq!(
        lines[lines.len() - 2]["done"],
        lines[lines.len() - 2]["total"]
    );
    let report = &lines.last().unwrap()["report"];
    assert_eq!(
        (report["created"].as_i64(), report["updated"].as_i64()),
        (Some(0), Some(4))
    );
    let (_, everyone) = admin.call("GET", "/api/v1/contacts?limit=200", None).await;
    assert_eq!(everyone["contacts"].as_array().unwrap().len(), 3);

    // A file that cannot be imported at all is refused before anything is written.
    let (status, body) = import(&admin, "name,email\nAna,ana@example.com\n", &[], false).await;
    assert_eq!(status, 422);
    assert!(body.contains("no column holds the phone"), "{body}");
    let mapping = r#"["name", "phone"]"#;
    let (status, body) = import(
        &admin,
        "a,b,c\nx,+14155550100,z\n",
        &[("mapping", mapping)],
        false,
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        body.contains("the mapping names 2 columns; the file has 3"),
        "{body}"
    );
    let (status, _) = import(
        &admin,
        "n,p\nx,+1\n",
        &[("mapping", r#"["name","shoe"]"#)],
        false,
    )
    .await;
    assert_eq!(status, 422);
    let (status, body) = import(&admin, "phone\n\"+1415", &[], false).await;
    assert_eq!(
        (status, body.contains("never closed")),
        (422, true),
        "{body}"
    );
    // An explicit mapping picks columns the headers do not name.
    let (status, body) = import(
        &admin,
        "col1,col2\n+4915123456789,Jonas\n",
        &[("mapping", r#"["phone", "name"]"#)],
        false,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let (_, audit) = admin
        .call("GET", "/api/v1/audit?action=contact.imported", None)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 3);
}

async fn segments_count_and_list_their_contacts(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;
    for attribute in [
        json!({"key": "tier", "label": "Tier", "type": "list", "options": ["Gold", "Silver"]}),
        json!({"key": "spent", "label": "Spent", "type": "number"}),
    ] {
        assert_eq!(
            admin
                .call("POST", "/api/v1/contact-attributes", Some(attribute))
                .await
                .0,
            201
        );
    }
    for (i, (tier, spent)) in [("Gold", 500), ("Gold", 20), ("Silver", 900)]
        .into_iter()
        .enumerate()
    {
        let contact = json!({"phone": format!("+1415555030{i}"), "name": format!("C{i}"),
                             "attributes": {"tier": tier, "spent": spent}});
        assert_eq!(
            agent
                .call("POST", "/api/v1/contacts", Some(contact))
                .await
                .0,
            201
        );
    }
    let draft = json!({"name": "Big gold spenders", "filter": {"conditions": [
        {"attribute": "tier", "op": "equals", "value": "gold"},
        {"attribute": "spent", "op": "after", "value": 100},
    ]}});
    assert_eq!(
        agent
            .call("POST", "/api/v1/segments", Some(draft.clone()))
            .await
            .0,
        403
    );
    let (status, segment) = admin.call("POST", "/api/v1/segments", Some(draft)).await;
    assert_eq!(status, 201, "{segment}");
    assert_eq!(segment["count"], 1);
    let id = segment["id"].as_i64().unwrap();
    let (_, listed) = agent
        .call("GET", &format!("/api/v1/segments/{id}/contacts"), None)
        .await;
    assert_eq!(listed["contacts"][0]["name"], "C0");
    let (_, narrowed) = agent
        .call(
            "GET",
            &format!("/api/v1/contacts?segment_id={id}&q=nobody"),
            None,
        )
        .await;
    assert_eq!(narrowed["contacts"], json!([]));
    // A condition that does not fit its attribute is refused with the reason.
    let bad = json!({"name": "Bad", "filter": {"conditions": [{"attribute": "tier", "op": "after", "value": "Gold"}]}});
    let (status, body) = admin.call("POST", "/api/v1/segments", Some(bad)).await;
    assert_eq!(status, 422);
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("date and number"),
        "{body}"
    );
    // The segment follows the contacts: a new gold spender is counted at once.
    let contact = json!({"phone": "+14155550310", "attributes": {"tier": "Gold", "spent": 101}});
    assert_eq!(
        agent
            .call("POST", "/api/v1/contacts", Some(contact))
            .await
            .0,
        201
    );
    let (_, segment) = agent
        .call("GET", &format!("/api/v1/segments/{id}"), None)
        .await;
    assert_eq!(segment["count"], 2);
    // An attribute it names is deleted: the segment says why instead of counting wrongly.
    assert_eq!(
        admin
            .call("DELETE", "/api/v1/contact-attributes/spent", None)
            .await
            .0,
        204
    );
    let (_, all) = agent.call("GET", "/api/v1/segments", None).await;
    assert_eq!(all[0]["count"], Value::Null);
    assert!(
        all[0]["problem"].as_str().unwrap().contains("spent"),
        "{all}"
    );
    let renamed = json!({"name": "Gold", "filter": {"conditions": [{"attribute": "tier", "op": "equals", "value": "Gold"}]}});
    let (status, segment) = admin
        .call("PATCH", &format!("/api/v1/segments/{id}"), Some(renamed))
        .await;
    assert_eq!((status, segment["count"].as_i64()), (200, Some(3)));
    assert_eq!(
        admin
            .call("DELETE", &format!("/api/v1/segments/{id}"), None)
            .await
            .0,
        204
    );
    assert_eq!(
        agent
            .call("GET", &format!("/api/v1/segments/{id}"), None)
            .await
            .0,
        404
    );
}

async fn an_admin_merges_a_duplicate_and_loses_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;
    let tier =
        json!({"key": "tier", "label": "Tier", "type": "list", "options": ["Gold", "Silver"]});
    assert_eq!(
        admin
            .call("POST", "/api/v1/contact-attributes", Some(tier))
            .await
            .0,
        201
    );
    // The same person wrote from two phones; both conversations on number A are unresolved.
    let now = wa::now_secs();
    app.deliver(&wa::inbound_text(
        wa::NUMBER_A,
        "14155550401",
        "Dana",
        "wamid.m1",
        now,
        "hi",
    ))
    .await;
    app.deliver(&wa::inbound_text(
        wa::NUMBER_A,
        "14155550402",
        "Dana W",
        "wamid.m2",
        now,
        "hello",
    ))
    .await;
    let ids = eventually("both contacts", || async {
        let (_, page) = agent.call("GET", "/api/v1/contacts?q=dana", None).await;
        let ids: Vec<i64> = page["contacts"]
            .as_array()?
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .collect();
        (ids.len() == 2).then_some(ids)
    })
    .await;
    let (keep, absorb) = (ids[1], ids[0]);
    // The second conversation is pending: it must still give way, not break the merge.
    let (_, page) = agent
        .call("GET", "/api/v1/conversations?q=Dana%20W", None)
        .await;
    let pending = page["conversations"][0]["id"].as_i64().unwrap();
    let (status, _) = agent
        .call(
            "PATCH",
            &format!("/api/v1/conversations/{pending}"),
            Some(json!({"status": "pending"})),
        )
        .await;
    assert_eq!(status, 200);
    let edit = |labels: Value, tier: &str, note: &str| json!({"labels": labels, "attributes": {"tier": tier}, "note": note});
    app.store
        .labels
        .create(
            &parley_server::store::NewLabel {
                name: parley_app::collaboration::LabelName::parse("vip").unwrap(),
                colour: parley_app::collaboration::Colour::parse("#d97706").unwrap(),
                description: String::new(),
            },
            parley_server::domain::Millis::now(),
        )
        .await
        .unwrap();
    let patch = |id: i64| format!("/api/v1/contacts/{id}");
    assert_eq!(
        agent
            .call(
                "PATCH",
                &patch(keep),
                Some(edit(json!([]), "Gold", "First phone"))
            )
            .await
            .0,
        200
    );
    let second = json!({"labels": ["vip"], "attributes": {"tier": "Silver"}, "note": "Second phone", "email": "dana@example.com"});
    assert_eq!(
        agent.call("PATCH", &patch(absorb), Some(second)).await.0,
        200
    );

    let merge = format!("/api/v1/contacts/{keep}/merge");
    assert_eq!(
        agent
            .call("POST", &merge, Some(json!({"contact_id": absorb})))
            .await
            .0,
        403
    );
    assert_eq!(
        admin
            .call("POST", &merge, Some(json!({"contact_id": keep})))
            .await
            .0,
        422
    );
    assert_eq!(
        admin
            .call("POST", &merge, Some(json!({"contact_id": 99999})))
            .await
            .0,
        404
    );
    let (status, merged) = admin
        .call("POST", &merge, Some(json!({"contact_id": absorb})))
        .await;
    assert_eq!(status, 200, "{merged}");
    assert_eq!(
        merged["conversations"].as_array().unwrap().len(),
        2,
        "both conversations"
    );
    assert_eq!(merged["labels"], json!(["vip"]));
    assert_eq!(
        merged["attributes"],
        json!({"tier": "Gold"}),
        "the kept contact's value wins"
    );
    assert_eq!(
        merged["email"], "dana@example.com",
        "a field the kept one lacked"
    );
    assert_eq!(merged["note"], "First phone\n\nSecond phone");
    let open: Vec<&str> = merged["conversations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        open.iter().filter(|s| **s != "resolved").count(),
        1,
        "one unresolved per number: {open:?}"
    );
    assert_eq!(agent.call("GET", &patch(absorb), None).await.0, 404);
    let (_, audit) = admin
        .call("GET", "/api/v1/audit?action=contact.merged", None)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
}

async fn an_erased_contact_leaves_counts_and_nothing_else(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;
    let tier = json!({"key": "tier", "label": "Tier", "type": "list", "options": ["Gold"]});
    assert_eq!(
        admin
            .call("POST", "/api/v1/contact-attributes", Some(tier))
            .await
            .0,
        201
    );
    let now = wa::now_secs();
    let secret = "my card number is 4111 1111 1111 1111";
    app.deliver(&wa::inbound_text(
        wa::NUMBER_A,
        "14155550501",
        "Erin Example",
        "wamid.e1",
        now,
        secret,
    ))
    .await;
    let conversation = eventually("Erin's conversation", || async {
        let page = agent.conversations("q=14155550501").await;
        page["conversations"][0]["id"].as_i64()
    })
    .await;
    let (_, page) = agent.call("GET", "/api/v1/contacts?q=erin", None).await;
    let id = page["contacts"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/contacts/{id}");
    let edit = json!({"email": "erin@example.com", "note": "Lives at 1 Main St", "attributes": {"tier": "Gold"}});
    assert_eq!(agent.call("PATCH", &path, Some(edit)).await.0, 200);
    let note = json!({"body": "Erin asked about her card"});
    let notes = format!("/api/v1/conversations/{conversation}/notes");
    assert_eq!(agent.call("POST", &notes, Some(note)).await.0, 201);
    assert!(
        journal_bodies(&app.database_url)
            .await
            .iter()
            .any(|b| String::from_utf8_lossy(b).contains("4111")),
        "the journal holds the raw webhook"
    );

    assert_eq!(
        agent.call("DELETE", &path, None).await.0,
        403,
        "admins erase"
    );
    assert_eq!(
        admin.call("DELETE", "/api/v1/contacts/99999", None).await.0,
        404
    );
    let (status, report) = admin.call("DELETE", &path, None).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(
        (
            report["conversations"].as_i64(),
            report["messages"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert!(report["webhooks"].as_i64().unwrap() >= 1);

    let (_, erased) = admin.call("GET", &path, None).await;
    for field in [
        "name",
        "profile_name",
        "phone",
        "email",
        "username",
        "language",
        "time_zone",
    ] {
        assert_eq!(erased[field], Value::Null, "{field}: {erased}");
    }
    assert_eq!(
        (erased["note"].as_str(), &erased["attributes"]),
        (Some(""), &json!({}))
    );
    assert_eq!(
        erased["conversations"].as_array().unwrap().len(),
        1,
        "counts survive"
    );
    let messages = agent.messages(conversation).await;
    assert_eq!(messages.len(), 1, "the message row stays");
    assert!(!messages[0].to_string().contains("4111"), "{}", messages[0]);
    let (_, notes) = agent.call("GET", &notes, None).await;
    assert!(!notes.to_string().contains("card"), "{notes}");
    assert!(
        !journal_bodies(&app.database_url).await.iter().any(|b| {
            let text = String::from_utf8_lossy(b);
            text.contains("4111") || text.contains("14155550501")
        }),
        "the raw webhook is erased"
    );
    let (_, audit) = admin
        .call("GET", "/api/v1/audit?action=contact.erased", None)
        .await;
    let entry = &audit["entries"][0];
    assert!(
        !entry.to_string().contains("Erin"),
        "the audit log holds no erased data: {entry}"
    );

    // Writing again makes a new contact, with nothing of the erased one.
    app.deliver(&wa::inbound_text(
        wa::NUMBER_A,
        "14155550501",
        "Erin",
        "wamid.e2",
        now + 1,
        "hi again",
    ))
    .await;
    let fresh = eventually("a new contact", || async {
        let (_, page) = agent
            .call("GET", "/api/v1/contacts?q=14155550501", None)
            .await;
        page["contacts"][0]["id"].as_i64()
    })
    .await;
    assert_ne!(fresh, id);
}

/// The files of a stored (uncompressed) ZIP, by walking its local headers.
fn zip_entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut entries = Vec::new();
    let mut at = 0;
    while bytes[at..].starts_with(b"PK\x03\x04") {
        let word = |o: usize| u16::from_le_bytes([bytes[at + o], bytes[at + o + 1]]) as usize;
        let size = u32::from_le_bytes(bytes[at + 18..at + 22].try_into().unwrap()) as usize;
        let (name_len, extra_len) = (word(26), word(28));
        let name = String::from_utf8(bytes[at + 30..at + 30 + name_len].to_vec()).unwrap();
        let start = at + 30 + name_len + extra_len;
        entries.push((name, bytes[start..start + size].to_vec()));
        at = start + size;
    }
    entries
}

async fn an_export_holds_everything_about_the_contact(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (admin, _) = app.member("Ada Admin", Role::Admin).await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;
    let now = wa::now_secs();
    app.deliver(&wa::inbound_text(
        wa::NUMBER_A,
        "14155550701",
        "Kim",
        "wamid.x1",
        now,
        "Olá, é a Kim 👋",
    ))
    .await;
    let conversation = eventually("Kim's conversation", || async {
        agent.conversations("q=14155550701").await["conversations"][0]["id"].as_i64()
    })
    .await;
    let note = json!({"body": "VIP from the fair"});
    let notes = format!("/api/v1/conversations/{conversation}/notes");
    assert_eq!(agent.call("POST", &notes, Some(note)).await.0, 201);
    let (_, page) = agent
        .call("GET", "/api/v1/contacts?q=14155550701", None)
        .await;
    let id = page["contacts"][0]["id"].as_i64().unwrap();
    let path = format!("/api/v1/contacts/{id}/export");
    assert_eq!(
        agent.call_text("GET", &path, None).await.0,
        403,
        "admins export"
    );
    let response = admin
        .http
        .get(format!("{}{path}", admin.base))
        .bearer_auth(&admin.token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let bytes = response.bytes().await.unwrap();
    let entries = zip_entries(&bytes);
    let (_, json_bytes) = entries
        .iter()
        .find(|(name, _)| name == "contact.json")
        .expect("contact.json");
    let document: Value = serde_json::from_slice(json_bytes).unwrap();
    assert_eq!(document["contact"]["phone"], "+14155550701");
    assert_eq!(
        document["conversations"][0]["messages"][0]["text"],
        "Olá, é a Kim 👋"
    );
    assert_eq!(
        document["conversations"][0]["internal_notes"][0]["body"],
        "VIP from the fair"
    );
    let (_, audit) = admin
        .call("GET", "/api/v1/audit?action=contact.exported", None)
        .await;
    assert_eq!(audit["entries"].as_array().unwrap().len(), 1);
}

async fn a_member_starts_a_conversation_with_a_contact(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let (agent, _) = app.member("Alan Agent", Role::Agent).await;
    // Number A is known once a customer has written to it.
    let now = wa::now_secs();
    app.deliver(&wa::inbound_text(
        wa::NUMBER_A,
        "14155550901",
        "Someone",
        "wamid.s1",
        now,
        "hi",
    ))
    .await;
    eventually("number A", || async {
        let page = agent.conversations("").await;
        (!page["conversations"].as_array()?.is_empty()).then_some(())
    })
    .await;
    let (_, lead) = agent
        .call(
            "POST",
            "/api/v1/contacts",
            Some(json!({"phone": "+4915123456789", "name": "Lena"})),
        )
        .await;
    let path = format!("/api/v1/contacts/{}/conversations", lead["id"]);
    let (status, started) = agent.call("POST", &path, Some(json!({}))).await;
    assert_eq!(status, 201, "{started}");
    assert_eq!(started["status"], "open");
    assert_eq!(started["phone_number_id"], wa::NUMBER_A);
    assert_eq!(
        started["window_expires_at"],
        Value::Null,
        "no window: templates only"
    );
    let (_, again) = agent
        .call(
            "POST",
            &path,
            Some(json!({"phone_number_id": wa::NUMBER_A})),
        )
        .await;
    assert_eq!(
        again["id"], started["id"],
        "the same conversation, not a second one"
    );
    let send = format!("/api/v1/conversations/{}/messages", started["id"]);
    let (status, _) = agent
        .call(
            "POST",
            &send,
            Some(json!({"type": "text", "text": "Hello"})),
        )
        .await;
    assert_eq!(status, 409, "free text needs an open window");
    let (status, _) = agent
        .call("POST", &path, Some(json!({"phone_number_id": "999999"})))
        .await;
    assert_eq!(status, 404, "an unknown business number");
}
