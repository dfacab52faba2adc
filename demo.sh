#!/usr/bin/env bash
# The main job end to end on the sample shipped in sample_data/: learn a vocabulary, write
# pretraining TFRecords, pretrain a tiny BERT, fine-tune and evaluate a classifier, export it
# as a SavedModel, and classify raw sentences with it.
#
#   make demo                               # everything, in demo_output/
#   bash demo.sh "a lovely film" "dull"     # with your own sentences (after `make install`)
#
# Every step is one of the project's scripts; point its flags at real data to scale up
# (see README.md). Smaller settings for a quick check: DEMO_PRETRAIN_STEPS, DEMO_EPOCHS,
# DEMO_OUTPUT. Each script prints its key figure; --verbosity=1 on a script shows the details.
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-.venv/bin/python}
OUT=${DEMO_OUTPUT:-demo_output}
PRETRAIN_STEPS=${DEMO_PRETRAIN_STEPS:-300}
EPOCHS=${DEMO_EPOCHS:-4}
SENTENCES=("$@")
if [ ${#SENTENCES[@]} -eq 0 ]; then
  SENTENCES=("the concert was truly wonderful and everyone loved it ." \
             "this book was dull and i want my money back .")
fi
rm -rf "$OUT"
mkdir -p "$OUT"
step() { echo; echo "=== [$1/7] $2"; }

step 1 "Learn a WordPiece vocabulary (bert_tf.data_prep.build_vocab)"
"$PY" -m bert_tf.data_prep.build_vocab --input_file=sample_data/corpus.txt,sample_data/sentiment/train.tsv \
  --output_file="$OUT/vocab.txt" --vocab_size=600 --num_unused=10 --do_lower_case
VOCAB_SIZE=$(wc -l < "$OUT/vocab.txt")
cat > "$OUT/bert_config.json" <<JSON
{"vocab_size": $VOCAB_SIZE, "hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
 "intermediate_size": 256, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
 "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 128, "type_vocab_size": 2,
 "initializer_range": 0.02}
JSON

step 2 "Write pretraining TFRecords (bert_tf.data_prep.create_pretraining_data)"
"$PY" -m bert_tf.data_prep.create_pretraining_data --input_file=sample_data/corpus.txt \
  --output_file="$OUT/pretraining_data.tfrecord" --vocab_file="$OUT/vocab.txt" --do_lower_case \
  --max_seq_length=64 --max_predictions_per_seq=10 --dupe_factor=10 --random_seed=12345

step 3 "Pretrain a tiny BERT, masked LM + next sentence (bert_tf.run_pretraining)"
"$PY" -m bert_tf.run_pretraining --bert_config_file="$OUT/bert_config.json" \
  --input_file="$OUT/pretraining_data.tfrecord" --output_dir="$OUT/pretraining" \
  --do_train --do_eval --train_batch_size=32 --eval_batch_size=32 --max_seq_length=64 \
  --max_predictions_per_seq=10 --num_train_steps="$PRETRAIN_STEPS" \
  --num_warmup_steps=$((PRETRAIN_STEPS / 10)) --learning_rate=1e-3 \
  --save_checkpoints_steps=$(((PRETRAIN_STEPS + 1) / 2)) --steps_per_loop=50 --log_steps=100 \
  --max_eval_steps=10 --seed=1

step 4 "Fine-tune a sentiment classifier from the pretrained encoder (bert_tf.run_classifier)"
step 5 "... and evaluate it on the dev set, writing predictions for the test set"
"$PY" -m bert_tf.run_classifier --task_name=SST-2 --data_dir=sample_data/sentiment \
  --vocab_file="$OUT/vocab.txt" --bert_config_file="$OUT/bert_config.json" \
  --init_checkpoint="$OUT/pretraining" --output_dir="$OUT/classifier" \
  --do_train --do_eval --do_predict --max_seq_length=32 --train_batch_size=16 \
  --learning_rate=5e-4 --num_train_epochs="$EPOCHS" --save_checkpoints_steps=40 --log_steps=40 --seed=1

step 6 "Export a SavedModel that takes raw text (bert_tf.export_saved_model)"
# The classifier's model directory records its config, vocab, casing, length and labels;
# the served labels are renamed, which the model directory would refuse without the override.
"$PY" -m bert_tf.export_saved_model --init_checkpoint="$OUT/classifier" \
  --label_list=negative,positive --override_model_settings --export_dir="$OUT/export" --version=1

step 7 "Load the SavedModel and classify raw sentences (bert_tf.classify_with_saved_model)"
"$PY" -m bert_tf.classify_with_saved_model --saved_model_dir="$OUT/export/1" "${SENTENCES[@]}"

cat <<EOT

Artifacts:
  vocabulary            $OUT/vocab.txt
  model config          $OUT/bert_config.json
  pretraining records   $OUT/pretraining_data.tfrecord
  pretrained model      $OUT/pretraining/ (checkpoints, eval_results.txt)
  fine-tuned model      $OUT/classifier/ (final; the best on dev in best/)
  dev metrics           $OUT/classifier/eval_results.txt
  test predictions      $OUT/classifier/SST-2.tsv
  SavedModel            $OUT/export/1/
TensorBoard:
  tensorboard --logdir $OUT
EOT
