//! Happy paths and rejections of every instruction.
