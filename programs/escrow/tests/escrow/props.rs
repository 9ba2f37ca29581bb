//! Randomised action sequences with the conservation check after each step.
