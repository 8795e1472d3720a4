//! The experiments, one file each. Each file's doc comment states the protocol it implements
//! (the item numbers refer to `shared/science/protocols.md`, summarized there), and each
//! declares its registry entry `EXPERIMENT`, which `crate::EXPERIMENTS` lists.

pub mod adam_margin;
pub mod adaptive_vs_sgd;
pub mod deep_linear;
pub mod diagonal_net;
pub mod dropout_pathsgd;
pub mod edge_of_stability;
pub mod f1_margin;
pub mod heavy_ball_min_norm;
pub mod homogeneous_margin;
pub mod init_scale_accuracy;
pub mod least_squares;
pub mod linear_conv;
pub mod logistic_margin;
pub mod matrix_sensing;
pub mod multiclass_margin;
pub mod nets;
pub mod norm_growth;
pub mod relu_1d;
pub mod sgd_noise_sparsity;
pub mod steepest_descent;
pub mod width_sweep;
