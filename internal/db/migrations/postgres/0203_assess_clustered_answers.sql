-- Nothing to do on PostgreSQL: ../sqlite/0203_assess_clustered_answers.sql stores the
-- questions and answers of assessments clustered on (assessment_id, position) on SQLite;
-- PostgreSQL keeps heap tables with their primary-key index.
SELECT 1;
