//! Matching the titles a capture lists against the link texts of the live page, tolerant of
//! case, punctuation and whitespace. Pure.

/// Lowercased words, all punctuation (typographic apostrophes included) treated as space.
pub fn normalize(title: &str) -> String {
    title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .flat_map(char::to_lowercase)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Shortest normalized text that may match by containment rather than equality, so that "pdf"
/// never matches everything.
const MIN_CONTAINED_LEN: usize = 12;
/// Least share of the longer text the shorter must cover, so that a short title ("Alliance of
/// Civilizations") does not match a longer, different one that starts with it.
const MIN_CONTAINED_SHARE: f64 = 0.6;

/// Whether a listed title and a link text name the same thing: equal once normalized, or one
/// contains the other as whole words (a link text that carries the author, a title cut short).
pub fn same_title(listed: &str, link_text: &str) -> bool {
    let (a, b) = (normalize(listed), normalize(link_text));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= MIN_CONTAINED_LEN
        && short.len() as f64 >= MIN_CONTAINED_SHARE * long.len() as f64
        && format!(" {long} ").contains(&format!(" {short} "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tolerant_of_case_punctuation_and_spacing() {
        assert!(same_title(
            "De l’intégration des immigrés: le discours et la méthode",
            "De l'intégration des immigrés -  le discours et la MÉTHODE"
        ));
        assert!(same_title(
            "Migrant Integration from an International Perspective",
            "Migrant Integration from an International Perspective (William Barriga, IOM)"
        ));
        assert!(!same_title("Programme (pdf) of the seminar", "pdf"));
        assert!(!same_title(
            "Alliance of Civilizations",
            "Alliance of Civilizations: Research Paper on Migration"
        ));
        assert!(!same_title(
            "Immigration and citizenship",
            "Citizenship policies"
        ));
        assert!(!same_title("", ""));
    }
}
