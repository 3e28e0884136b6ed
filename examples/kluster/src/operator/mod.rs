//! The Kluster controller.
