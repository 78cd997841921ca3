//! The simulator's customers: who they are and what they say.

/// A scripted customer.
#[derive(Clone, Debug)]
pub struct Persona {
    pub name: &'static str,
    /// Phone number (`wa_id`); `None` for a customer known only by username.
    pub wa_id: Option<&'static str>,
    /// Business-scoped user id.
    pub bsuid: &'static str,
    pub username: Option<&'static str>,
    /// Index of the business number they write to.
    pub number: usize,
    /// What they open with and answer with.
    pub lines: &'static [&'static str],
    /// Whether they answer the business at all (some go quiet, so windows expire).
    pub responsive: bool,
}

impl Persona {
    /// The id a business uses to write to them.
    pub fn address(&self) -> &'static str {
        self.wa_id.unwrap_or(self.bsuid)
    }
}

pub const PERSONAS: &[Persona] = &[
    Persona {
        name: "Amira Haddad",
        wa_id: Some("15550100001"),
        bsuid: "US.1055010000100001",
        username: None,
        number: 0,
        lines: &[
            "مرحبا! أين طلبي؟ رقم الطلب 4471",
            "شكراً جزيلاً 🙏",
            "هل يمكن تغيير العنوان؟",
        ],
        responsive: true,
    },
    Persona {
        name: "Noa Levi",
        wa_id: Some("15550100002"),
        bsuid: "US.1055010000100002",
        username: None,
        number: 1,
        lines: &["שלום, ההזמנה הגיעה שבורה 😕", "אפשר החזר?", "תודה רבה!"],
        responsive: true,
    },
    Persona {
        name: "Mateo García",
        wa_id: Some("15550100003"),
        bsuid: "US.1055010000100003",
        username: None,
        number: 0,
        lines: &[
            "¡Hola! ¿Hacen envíos a Valencia? 🚚",
            "Perfecto, gracias",
            "¿Cuánto tarda?",
        ],
        responsive: true,
    },
    Persona {
        name: "Priya Sharma",
        wa_id: Some("15550100004"),
        bsuid: "US.1055010000100004",
        username: None,
        number: 1,
        lines: &[
            "नमस्ते! My refund hasn't arrived yet",
            "Order #88213",
            "Thank you so much 😊",
        ],
        responsive: true,
    },
    Persona {
        name: "张伟",
        wa_id: Some("15550100005"),
        bsuid: "US.1055010000100005",
        username: None,
        number: 0,
        lines: &["你好，我想退货", "好的，谢谢！", "需要提供发票吗？"],
        responsive: true,
    },
    Persona {
        name: "Olivia Brown 🌻",
        wa_id: Some("15550100006"),
        bsuid: "US.1055010000100006",
        username: None,
        number: 1,
        lines: &[
            "Hi! Is the blue one back in stock? 💙",
            "Amazing, ordering now 🎉",
            "<b>bold</b> <script>alert('hi')</script> just testing your inbox 😄",
        ],
        responsive: true,
    },
    Persona {
        name: "Kenji",
        wa_id: None,
        bsuid: "US.1055010000100007",
        username: Some("@kenji.t"),
        number: 0,
        lines: &[
            "こんにちは！サイズ交換できますか？",
            "ありがとうございます",
            "M size please",
        ],
        responsive: true,
    },
    Persona {
        name: "Fatima Zahra",
        wa_id: Some("15550100008"),
        bsuid: "US.1055010000100008",
        username: None,
        number: 1,
        lines: &["Salam, can someone call me back?"],
        responsive: false,
    },
];

pub fn by_address(address: &str) -> Option<&'static Persona> {
    PERSONAS
        .iter()
        .find(|p| p.wa_id == Some(address) || p.bsuid == address)
}
