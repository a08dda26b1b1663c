//! The studio's session: one run from the page's point of view (send it,
//! keep its job, keep its video, let go of the ticket by the money rules),
//! and what the form sends ([`form_check`]).

pub mod form_check;
pub mod session;
