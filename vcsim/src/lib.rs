//! vcsim
