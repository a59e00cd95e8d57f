//! The deterministic draws and ids of the generated account: a splitmix64 mix ([`draw`]) keyed
//! by the kind of item ([`USER`], [`TEAM`], ...), its number and a counter, and the two-word
//! ([`word_id`]) and 32-hex-digit ([`hex_id`]) ids Fivetran uses.

const SYLLABLES: [&str; 16] = [
    "ka", "lo", "mi", "nu", "pe", "ra", "so", "ti", "vo", "ze", "ba", "du", "fe", "gi", "ho", "ju",
];

/// splitmix64's finalizer: a well-spread, deterministic 64-bit mix.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A number drawn from `(kind, n, k)`, the same every time.
pub(super) fn draw(kind: u64, n: usize, k: usize) -> u64 {
    mix(mix(mix(kind) ^ n as u64) ^ k as u64)
}

/// A two-word id like Fivetran's (`kalomi_nupera`), unique for every `n` below 2^24: `n` is
/// scrambled by an odd multiplier (a bijection modulo 2^24), each 12-bit half spells a word.
pub(super) fn word_id(n: usize) -> String {
    let scrambled = (n as u64).wrapping_mul(0x9e_3779) & 0xff_ffff;
    let word = |bits: u64| -> String {
        (0..3)
            .map(|i| SYLLABLES[((bits >> (4 * i)) & 0xf) as usize])
            .collect()
    };
    format!("{}_{}", word(scrambled >> 12), word(scrambled & 0xfff))
}

/// A 32-hex-digit id, the other form Fivetran uses.
pub(super) fn hex_id(kind: u64, n: usize) -> String {
    format!("{:016x}{:016x}", draw(kind, n, 0), draw(kind, n, 1))
}

/// The kinds of item: the first key of every draw and of [`hex_id`].
pub(super) const USER: u64 = 1;
pub(super) const TEAM: u64 = 2;
pub(super) const GROUP: u64 = 3;
pub(super) const CONNECTION: u64 = 4;
pub(super) const SYNC: u64 = 5;
pub(super) const KEY: u64 = 6;
