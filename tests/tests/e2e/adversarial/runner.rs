//! Runs the cases one after the other against one world, with two clients: the model's
//! (which cannot ask its user anything) and one whose user confirms everything. Each
//! case's verdict is kept ([`Outcome`]); a case that changed a guest of the world is
//! followed by putting the guest back as it was, so that one bypass does not hide or
//! fake the next.

use super::case::{self, Answer, Class, Expect, Outcome, State, Who};
use super::world::World;
use pve_mcp_tests::client::Client;
use serde_json::{Value, json};

pub struct Runner {
    pub world: World,
    model: Client,
    yes: Client,
    pub outcomes: Vec<Outcome>,
}

/// `proxmox_api` arguments.
pub fn api(method: &str, endpoint: &str, data: Value) -> Value {
    if data.as_object().is_some_and(|d| !d.is_empty()) {
        json!({"method": method, "endpoint": endpoint, "data": data})
    } else {
        json!({"method": method, "endpoint": endpoint})
    }
}

/// `GET endpoint` through `proxmox_api`.
pub fn get(endpoint: &str) -> Value {
    api("GET", endpoint, json!({}))
}

/// Replaces the whole number `from` by `to` in `text` (an oracle's other half).
pub fn swap_number(text: &str, from: u32, to: u32) -> String {
    let needle = from.to_string();
    let bytes = text.as_bytes();
    let glued = |b: &u8| b.is_ascii_alphanumeric() || *b == b'.';
    let mut out = String::new();
    let mut last = 0;
    for (i, _) in text.match_indices(&needle) {
        let before = i.checked_sub(1).map(|j| &bytes[j]);
        let after = bytes.get(i + needle.len());
        if i < last || before.is_some_and(glued) || after.is_some_and(glued) {
            continue;
        }
        out.push_str(&text[last..i]);
        out.push_str(&to.to_string());
        last = i + needle.len();
    }
    out.push_str(&text[last..]);
    out
}

/// `name` with a backup's time stamp (`2025_01_31-04_17_43`, the time the world was
/// made) written `STAMP`, so that case names are the same from run to run.
fn stable(name: &str) -> String {
    let b = name.as_bytes();
    let shape = b"0000_00_00-00_00_00";
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        let stamp = b.get(i..i + shape.len()).is_some_and(|w| {
            w.iter().zip(shape).all(|(c, s)| {
                if *s == b'0' {
                    c.is_ascii_digit()
                } else {
                    c == s
                }
            })
        });
        if stamp {
            out.push_str("STAMP");
            i += shape.len();
        } else {
            out.push(char::from(b[i]));
            i += 1;
        }
    }
    out
}

/// Prints the answer of the cases whose name contains `ADVERSARIAL_SHOW` (to study one).
fn show(name: &str, a: &Answer) {
    if let Ok(want) = std::env::var("ADVERSARIAL_SHOW")
        && name.contains(&want)
    {
        println!("--- {name}\n{}", a.everything);
    }
}

impl Runner {
    pub async fn start() -> Runner {
        let world = World::start();
        let model = world.stack.client().await.expect("the model's client");
        let yes = world
            .stack
            .confirming_client(true)
            .await
            .expect("the confirming client");
        Runner {
            world,
            model,
            yes,
            outcomes: Vec::new(),
        }
    }

    /// Calls a tool without judging it (for the steps of a sequence).
    pub async fn call(&self, who: Who, tool: &str, args: &Value) -> Answer {
        let client = match who {
            Who::Model => &self.model,
            Who::UserSaysYes => &self.yes,
        };
        case::call(client, tool, args).await
    }

    pub fn state(&self) -> State {
        State::of(&self.world)
    }

    /// The state after a call: once the tasks it may have started (and which run
    /// 40 ms) have ended, so that their effect is counted against it and not the next.
    fn state_after(&self, before: &State) -> State {
        let sim = self.world.sim();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        while sim.running_tasks() > before.running && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        self.state()
    }

    /// One case: `tool` called with `args` by `who`, judged against `expect`.
    pub async fn case(
        &mut self,
        class: Class,
        name: &str,
        who: Who,
        tool: &str,
        args: Value,
        expect: Expect,
    ) -> Answer {
        let before = self.state();
        let a = self.call(who, tool, &args).await;
        let changes = before.changes(&self.state_after(&before));
        let write = case::is_write(tool, &args);
        let (bypasses, leaks, imprecise) =
            case::judge(expect, write, &args.to_string(), &a, changes);
        show(name, &a);
        self.finish(class, name, bypasses, leaks, imprecise);
        a
    }

    /// The model's call, judged.
    pub async fn model(
        &mut self,
        class: Class,
        name: &str,
        tool: &str,
        args: Value,
        expect: Expect,
    ) {
        self.case(class, name, Who::Model, tool, args, expect).await;
    }

    /// An existence oracle: the same call for invisible guest `hidden` and for vmid
    /// `ghost` that no guest has must read the same (with the vmids swapped), and the
    /// hidden one is judged against `expect`.
    #[allow(clippy::too_many_arguments)]
    pub async fn oracle(
        &mut self,
        class: Class,
        name: &str,
        who: Who,
        tool: &str,
        args: Value,
        hidden: u32,
        ghost: u32,
        expect: Expect,
    ) {
        let ghost_args: Value =
            serde_json::from_str(&swap_number(&args.to_string(), hidden, ghost)).expect("JSON");
        let before = self.state();
        let ghost_answer = self.call(who, tool, &ghost_args).await;
        let a = self.call(who, tool, &args).await;
        let changes = before.changes(&self.state_after(&before));
        let write = case::is_write(tool, &args);
        let (bypasses, mut leaks, imprecise) =
            case::judge(expect, write, &args.to_string(), &a, changes);
        show(name, &a);
        show(name, &ghost_answer);
        let seen = swap_number(&a.message, hidden, ghost);
        if a.error != ghost_answer.error || seen != ghost_answer.message {
            let cut = |s: &str| s.chars().take(160).collect::<String>();
            leaks.push(format!(
                "reads differently than for nonexistent {ghost}: {:?} vs {:?}",
                cut(&a.message),
                cut(&ghost_answer.message)
            ));
        }
        self.finish(class, name, bypasses, leaks, imprecise);
    }

    /// Records a verdict made by a class itself (sequences).
    pub fn finish(
        &mut self,
        class: Class,
        name: &str,
        bypasses: Vec<String>,
        leaks: Vec<String>,
        imprecise: Option<String>,
    ) {
        if !bypasses.is_empty() {
            self.repair();
        }
        self.outcomes.push(Outcome {
            class,
            name: stable(name),
            bypasses,
            leaks,
            imprecise,
        });
    }

    /// Puts every guest of the world back as it was made, and removes new ones. When a
    /// guest of the world was gone or had other tags or another pool, waits out the
    /// helper's listing cache (1.5 s), so that the next case is judged on the world as
    /// made.
    pub fn repair(&self) {
        let sim = self.world.sim();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let original: Vec<u32> = self.world.guests.iter().map(|g| g.vmid).collect();
        for vmid in sim.vmids() {
            if !original.contains(&vmid) {
                sim.remove_guest(vmid);
            }
        }
        let mut scope_changed = false;
        for g in &self.world.guests {
            let state = sim.guest_state(g.vmid);
            let same_scope = state
                .as_ref()
                .is_some_and(|s| s.tags == g.tags && s.pool.map(str::to_owned) == g.pool);
            let same_config = sim.guest_config(g.vmid).is_some_and(|c| c == g.config);
            if !(same_config && same_scope) {
                sim.remove_guest(g.vmid);
                let _ = sim.add_guest(g.clone());
            }
            scope_changed |= !same_scope;
        }
        if scope_changed {
            std::thread::sleep(std::time::Duration::from_millis(1600));
        }
    }
}
