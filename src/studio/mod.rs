//! The studio's session: one run from the page's point of view (send it,
//! keep its job, keep its video, let go of the ticket by the money rules),
//! what the form sends ([`form_check`]), and what the run panel decides
//! ([`run_rules`]), and a comparison of drafts as it is kept ([`comparison`]).

pub mod compare_run;
pub mod comparison;
pub mod form_check;
pub mod run_order;
pub mod run_rules;
pub mod session;
