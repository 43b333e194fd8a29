/**
 * The arbiter's side of SHARDED mode: takes the regions' shard reports, and moves stock between
 * the regions' shard stores with the two-step transfers of {@link flashsale.shard.TransferSteps}.
 */
package flashsale.arbiter.shard;
