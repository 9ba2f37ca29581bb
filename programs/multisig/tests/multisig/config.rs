//! Config changes through proposals.
